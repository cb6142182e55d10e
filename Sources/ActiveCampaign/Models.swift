import Foundation

/// Where the API lives: scheme, host and port. Paths are always `/api/3/…`.
public struct APIEndpoint: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?

    public init(scheme: String = "https", host: String, port: Int? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    func url(_ path: String, query: [(String, String)]) -> String {
        var components = URLComponents()
        components.scheme = scheme
        components.host = host
        components.port = port
        components.path = "/api/3/" + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // URLComponents leaves "+" alone in queries; ActiveCampaign would read it as a space (an email's "+").
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string!
    }
}

public struct ACUser: Sendable, Equatable {
    public var id: String
    public var username: String
    public var email: String
    public var firstName: String
    public var lastName: String
}

public struct ACAccountSettings: Sendable, Equatable {
    public var account: String
    public var subscriberLimit: Int?
    public var subscriberTotal: Int?
}

public struct ACList: Sendable, Equatable {
    public var id: String
    public var name: String
}

public struct ACContact: Sendable, Equatable {
    public var id: String
    public var email: String
    public var firstName: String
    public var lastName: String
    public var phone: String
}

public struct ACListMembership: Sendable, Equatable {
    public enum Status: Int, Sendable {
        case unconfirmed = 0
        case active = 1
        case unsubscribed = 2
        case bounced = 3
    }
    public var listId: String
    public var status: Status?
}

public struct ACField: Sendable, Equatable {
    public var id: String
    public var title: String
    public var type: String
}

/// A contact for the bulk importer (snake_case on the wire).
public struct BulkContact: Sendable, Equatable {
    public var email: String
    public var firstName: String?
    public var lastName: String?
    public var phone: String?
    public var fields: [(id: Int, value: String)]
    public var subscribe: [Int]
    public var unsubscribe: [Int]

    public init(
        email: String,
        firstName: String? = nil,
        lastName: String? = nil,
        phone: String? = nil,
        fields: [(id: Int, value: String)] = [],
        subscribe: [Int] = [],
        unsubscribe: [Int] = []
    ) {
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.phone = phone
        self.fields = fields
        self.subscribe = subscribe
        self.unsubscribe = unsubscribe
    }

    public static func == (lhs: BulkContact, rhs: BulkContact) -> Bool {
        lhs.email == rhs.email && lhs.firstName == rhs.firstName && lhs.lastName == rhs.lastName && lhs.phone == rhs.phone
            && lhs.fields.map(\.id) == rhs.fields.map(\.id) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
            && lhs.subscribe == rhs.subscribe && lhs.unsubscribe == rhs.unsubscribe
    }

}

/// The body of `import/bulk_import`, in the contract's field names.
struct BulkImportBody: Encodable {
    var contacts: [BulkContact]
    var excludeAutomations: Bool

    private struct ListRef: Encodable { var listid: Int }
    private struct FieldValue: Encodable {
        var id: Int
        var value: String
    }
    private enum Keys: String, CodingKey {
        case contacts, email, phone, fields, subscribe, unsubscribe
        case excludeAutomations = "exclude_automations"
        case firstName = "first_name"
        case lastName = "last_name"
    }

    func encode(to encoder: any Encoder) throws {
        var top = encoder.container(keyedBy: Keys.self)
        var list = top.nestedUnkeyedContainer(forKey: .contacts)
        for contact in contacts {
            var object = list.nestedContainer(keyedBy: Keys.self)
            try object.encode(contact.email, forKey: .email)
            try object.encodeIfPresent(contact.firstName, forKey: .firstName)
            try object.encodeIfPresent(contact.lastName, forKey: .lastName)
            try object.encodeIfPresent(contact.phone, forKey: .phone)
            if !contact.fields.isEmpty { try object.encode(contact.fields.map { FieldValue(id: $0.id, value: $0.value) }, forKey: .fields) }
            if !contact.subscribe.isEmpty { try object.encode(contact.subscribe.map(ListRef.init), forKey: .subscribe) }
            if !contact.unsubscribe.isEmpty { try object.encode(contact.unsubscribe.map(ListRef.init), forKey: .unsubscribe) }
            try object.encode(excludeAutomations, forKey: .excludeAutomations)
        }
        try top.encode(excludeAutomations, forKey: .excludeAutomations)
    }
}

public struct BatchTicket: Sendable, Equatable {
    public var batchId: String
    public var queuedContacts: Int
}

public struct ImportInfo: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// `status: false`: asked too soon after the POST.
        case notReady
        case waiting, claimed, active, completed, failed, interrupted
        case other(String)

        public var isFinal: Bool { [.completed, .failed, .interrupted].contains(self) }
    }
    public var status: Status
    /// Contact ids ActiveCampaign created or updated.
    public var success: [String]
    /// Emails that failed.
    public var failure: [String]
}
