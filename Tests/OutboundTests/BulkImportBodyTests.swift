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
        let data = Self.body(contacts, excludeAutomations: true)
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
        let data = Self.body([BulkContact(email: "a@example.com")], excludeAutomations: false)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["exclude_automations"] as? Bool == false)
        #expect((json["contacts"] as? [[String: Any]])?.first?["exclude_automations"] as? Bool == false)
    }

    /// The engine appends a stored batch's fields as bytes: the body must be the very one its strings make.
    @Test func fieldsAppendedAsBytesMakeTheSameBody() throws {
        let awkward = "Zoë \"Q\" O'Brien\\ \n\r\t\u{01}\u{1F} — 東京 🎉"
        let contacts = [
            BulkContact(email: "a@example.com", firstName: awkward, lastName: nil, phone: "+1 (555) 010", subscribe: [7]),
            BulkContact(email: "b\"c@example.com", firstName: "", lastName: awkward, subscribe: [7]),
        ]
        var fromBytes = BulkImportBody(excludeAutomations: true)
        for contact in contacts {
            Self.bytes(contact.email) { email in
                Self.bytes(contact.firstName) { first in
                    Self.bytes(contact.lastName) { last in
                        Self.bytes(contact.phone) { phone in
                            fromBytes.append(email: email!, firstName: first, lastName: last, phone: phone, subscribe: [7], unsubscribe: [])
                        }
                    }
                }
            }
        }
        #expect(fromBytes.count == 2)
        #expect(fromBytes.encoded() == Self.body(contacts, excludeAutomations: true))
        let json = try #require(try JSONSerialization.jsonObject(with: fromBytes.encoded()) as? [String: Any])
        let sent = try #require(json["contacts"] as? [[String: Any]])
        #expect(sent[0]["first_name"] as? String == awkward && sent[0]["last_name"] == nil)
        #expect(sent[1]["email"] as? String == "b\"c@example.com" && sent[1]["first_name"] as? String == "")
    }

    static func body(_ contacts: [BulkContact], excludeAutomations: Bool) -> Data {
        var body = BulkImportBody(excludeAutomations: excludeAutomations)
        for contact in contacts { body.append(contact) }
        return body.encoded()
    }

    static func bytes(_ text: String?, _ body: (UnsafeRawBufferPointer?) -> Void) {
        guard let text else { return body(nil) }
        Array(text.utf8).withUnsafeBytes { body($0) }
    }
}
