import Foundation
import Testing

@testable import ActiveCampaign

/// The hand-written bulk import body must be the JSON the contract describes, whatever the text holds.
@Suite struct BulkImportBodyTests {
    @Test func everyFieldReachesTheImporterAsWritten() throws {
        let awkward = "Zoë \"Q\" O'Brien\\ \n\r\t\u{01}\u{1F} — 東京 🎉 </script>"
        let contacts = [
            BulkContact(email: "a@example.com", firstName: awkward, lastName: "Last", phone: "+49 30 1", subscribe: [7]),
            BulkContact(email: "b@example.com", fields: [(id: 3, value: "x\"y")], unsubscribe: [7, 8]),
        ]
        let data = BulkImportBody(contacts: contacts, excludeAutomations: true).encoded()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["exclude_automations"] as? Bool == true)
        let sent = try #require(json["contacts"] as? [[String: Any]])
        #expect(sent.count == 2)
        #expect(sent[0]["email"] as? String == "a@example.com")
        #expect(sent[0]["first_name"] as? String == awkward)
        #expect(sent[0]["last_name"] as? String == "Last")
        #expect(sent[0]["phone"] as? String == "+49 30 1")
        #expect((sent[0]["subscribe"] as? [[String: Int]]) == [["listid": 7]])
        #expect(sent[0]["exclude_automations"] as? Bool == true)
        #expect(sent[1]["first_name"] == nil && sent[1]["subscribe"] == nil)
        #expect((sent[1]["unsubscribe"] as? [[String: Int]]) == [["listid": 7], ["listid": 8]])
        let fields = try #require(sent[1]["fields"] as? [[String: Any]])
        #expect(fields.count == 1 && fields[0]["id"] as? Int == 3 && fields[0]["value"] as? String == "x\"y")
    }

    @Test func automationsFlagFollowsTheExport() throws {
        let data = BulkImportBody(contacts: [BulkContact(email: "a@example.com")], excludeAutomations: false).encoded()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["exclude_automations"] as? Bool == false)
        #expect((json["contacts"] as? [[String: Any]])?.first?["exclude_automations"] as? Bool == false)
    }
}
