import Hummingbird
import HummingbirdTesting
import Store
import Testing

@testable import Web

/// The segment editor as a person uses it (issue 15): a condition added per group, the second value only for
/// "is between", each problem once, "everyone" said out loud, and a read-only page for viewers.
@Suite struct SegmentEditorTests {
    @Test func conditionsAreAddedPerGroupAndEachProblemIsShownOnce() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV(segmentData, into: world.database, tenantId: world.acme.id!)
        try await world.app().test(.router) { client in
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            let editor = "/t/acme/data/segments/new"
            let blank = try await bob.get(editor).text
            expectText(blank, #"<button type="submit" name="action" value="add-condition:0" class="secondary">Add condition"#)
            expectText(blank, #"<span class="and-value">and <input name="g0.c0.value2""#)

            let country = [
                ("name", "DE"), ("g0.combinator", "all"), ("g0.c0.attribute", "country"), ("g0.c0.op", "equals"), ("g0.c0.value", "DE"),
            ]
            let added = try await bob.post(editor, country + [("action", "add-condition:0")], tokenFrom: editor).text
            #expect(added.contains(#"name="g0.c2.attribute""#))  // the filled one, the added one, the usual blank
            #expect(!added.contains(#"name="g0.c3.attribute""#))
            expectText(added, #"name="g0.c0.value" type="text" value="DE""#)

            let wrong = country.map { $0.0 == "g0.c0.op" ? ("g0.c0.op", "greaterThan") : $0 }
            let refused = try await bob.post(editor, wrong + [("action", "preview")], tokenFrom: editor)
            #expect(refused.status == .unprocessableContent)
            let message = try #require(refused.text.firstMatch(of: /<p class="field-error">([^<]+)<\/p>/)?.output.1)
            #expect(refused.text.components(separatedBy: String(message)).count == 2, "shown more than once: \(message)")
            #expect(!refused.text.contains(#"id="problem""#))
        }
    }

    @Test func aSegmentWithoutConditionsSaysEveryoneAndViewersOnlyRead() async throws {
        let world = try await TestWorld.make()
        _ = try await importCSV(segmentData, into: world.database, tenantId: world.acme.id!)
        let everyone = try await world.database.saveSegment(
            tenantId: world.acme.id!,
            id: nil,
            name: "All of them",
            description: "",
            rules: SegmentRules(combinator: .all, groups: [RuleGroup(combinator: .all, conditions: [])]),
            actor: .commandLine,
            now: .now
        )
        let german = try await world.database.saveSegment(
            tenantId: world.acme.id!,
            id: nil,
            name: "German",
            description: "",
            rules: SegmentRules(
                combinator: .all,
                groups: [
                    RuleGroup(
                        combinator: .any,
                        conditions: [
                            RuleCondition(attribute: "country", op: .equals, value: "DE"),
                            RuleCondition(attribute: "lifetime_value", op: .between, value: "10", value2: "200"),
                        ]
                    )
                ]
            ),
            actor: .commandLine,
            now: .now
        )
        try await world.app().test(.router) { client in
            var bob = Browser(client: client)
            try await bob.signIn("bob@acme.test")
            expectText(try await bob.get("/t/acme/data/segments/\(everyone.id!)").text, "Everyone: this segment has no conditions")
            let list = try await bob.get("/t/acme/data/segments").text
            expectText(list, "All of them</a> <span class=\"muted\">(everyone: no conditions)</span>")
            #expect(!list.contains("German</a> <span"))

            var carol = Browser(client: client)
            try await carol.signIn("carol@acme.test")
            let page = try await carol.get("/t/acme/data/segments/\(german.id!)")
            #expect(page.status == .ok)
            let main = try #require(page.text.components(separatedBy: "<main").last)
            for control in ["<select", "<input", "name=\"action\"", "Delete segment"] {
                #expect(!main.contains(control), "a viewer sees \(control)")
            }
            expectText(main, "Group 1: matches any of")
            expectText(main, "<li>country equals DE</li>")
            expectText(main, "<li>lifetime_value is between 10 and 200</li>")
        }
    }
}
