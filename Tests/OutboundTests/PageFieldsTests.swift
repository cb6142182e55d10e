import Foundation
import Mustache
import Store
import Testing

@testable import Web

/// Page models answer Mustache's lookups from `PageFields.generated.swift` instead of Mirror; the debug check
/// in `Views.render` finds a model whose answers fell behind its fields.
@Suite struct PageFieldsTests {
    struct Fresh: MustacheParent {
        var name: String
        var note: String?
        func child(named name: String) -> Any? {
            switch name {
            case "name": return self.name
            case "note": return note
            default: return nil
            }
        }
    }

    /// A field added without running the generator.
    struct Stale: MustacheParent {
        var name: String
        var added: String
        func child(named name: String) -> Any? { name == "name" ? self.name : nil }
    }

    struct Unanswered {
        var name: String
    }

    struct Page: MustacheParent {
        var rows: [Stale]
        var lone: Unanswered?
        func child(named name: String) -> Any? { name == "rows" ? rows : name == "lone" ? lone : nil }
    }

    @Test func modelsWhoseAnswersMatchTheirFieldsPass() {
        #expect(PageFields.problems(in: [Fresh(name: "a", note: nil), Fresh(name: "b", note: "n")], module: "OutboundTests").isEmpty)
    }

    @Test func aFieldMissingFromTheAnswersIsNamedWithItsPath() {
        let problems = PageFields.problems(in: Stale(name: "a", added: "b"), module: "OutboundTests")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("page.added is not answered") == true)
    }

    @Test func nestedModelsInArraysAndOptionalsAreChecked() {
        let page = Page(rows: [Stale(name: "a", added: "")], lone: Unanswered(name: "x"))
        let problems = PageFields.problems(in: page, module: "OutboundTests")
        #expect(problems.count == 2)
        #expect(problems.contains { $0.hasPrefix("page.rows[0].added is not answered") })
        #expect(problems.contains { $0.hasPrefix("page.lone[0]: ") && $0.contains("Unanswered does not answer") })
    }

    @Test func everyPageModelBuiltForATestAnswersAsMirrorReadsIt() async throws {
        let world = try await TestWorld.make()
        let members = MembersController.MembersPage.build(
            try await world.database.members(tenantId: world.acme.id!),
            invitations: [],
            slug: "acme",
            you: world.userId("alice@acme.test"),
            chrome: .mockTenant("Members", section: "Members")
        )
        #expect(members.members.count == 3)
        #expect(PageFields.problems(in: members).isEmpty)
    }

    @Test func aRenderedPageShowsTheAnsweredValuesAndClimbsTheStackForMissingOnes() throws {
        MustacheContentTypes.register(ScalarHTMLContentType(), named: ScalarHTMLContentType.name)
        let template = try MustacheTemplate(
            string: ScalarHTMLContentType.pragma
                + "{{#chrome}}{{title}}{{/chrome}}|{{#rows}}{{label}}:{{title}}{{^current}}!{{/current}};{{/rows}}"
        )
        struct View: MustacheParent {
            var chrome: Chrome
            var rows: [Chrome.Link]
            var title = "outer <b>"
            func child(named name: String) -> Any? {
                switch name {
                case "chrome": return chrome
                case "rows": return rows
                case "title": return title
                default: return nil
                }
            }
        }
        let chrome = Chrome.mockTenant("Members & more", section: "Members")
        let html = template.render(View(chrome: chrome, rows: Array(chrome.adminNav)))
        #expect(
            html
                == "Members &amp; more|Connections:outer &lt;b&gt;!;Members:outer &lt;b&gt;;System:outer &lt;b&gt;!;Activity:outer &lt;b&gt;!;"
        )
    }
}
