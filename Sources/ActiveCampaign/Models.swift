import Foundation
import OutboundCore

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

/// The body of `import/bulk_import`, in the contract's field names, written a contact at a time. Written by hand:
/// the engine writes up to a million contacts an export, and `JSONEncoder` (like `JSONSerialization` before it)
/// was the largest share of its CPU; the shape is fixed and only strings need escaping. The engine appends a
/// stored batch's fields straight from their bytes, without making strings of them.
public struct BulkImportBody: Sendable {
    public private(set) var count = 0
    private var out: [UInt8]
    private let flag: String
    // A batch's contacts share their lists: the fragment is written again only when they change.
    private var subscribe = ListsFragment(key: "subscribe")
    private var unsubscribe = ListsFragment(key: "unsubscribe")

    /// `exclude_automations` is sent per contact and at the top level, since the contract does not say which one
    /// ActiveCampaign reads.
    public init(excludeAutomations: Bool, expectedContacts: Int = 0) {
        flag = excludeAutomations ? "true" : "false"
        out = Array(#"{"contacts":["#.utf8)
        out.reserveCapacity(16 + expectedContacts * 160)
    }

    public mutating func append(_ contact: BulkContact) {
        open()
        JSONText.appendString(contact.email, to: &out)
        if let firstName = contact.firstName { field(#","first_name":"#, firstName) }
        if let lastName = contact.lastName { field(#","last_name":"#, lastName) }
        if let phone = contact.phone { field(#","phone":"#, phone) }
        if !contact.fields.isEmpty {
            out.append(contentsOf: #","fields":["#.utf8)
            for (position, field) in contact.fields.enumerated() {
                out.append(contentsOf: "\(position > 0 ? "," : ""){\"id\":\(field.id),\"value\":".utf8)
                JSONText.appendString(field.value, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        close(subscribe: contact.subscribe, unsubscribe: contact.unsubscribe)
    }

    /// A contact from the UTF-8 bytes of its fields (valid only during the call).
    public mutating func append(
        email: UnsafeRawBufferPointer,
        firstName: UnsafeRawBufferPointer?,
        lastName: UnsafeRawBufferPointer?,
        phone: UnsafeRawBufferPointer?,
        subscribe: [Int],
        unsubscribe: [Int]
    ) {
        open()
        JSONText.appendString(utf8: email, to: &out)
        if let firstName { field(#","first_name":"#, firstName) }
        if let lastName { field(#","last_name":"#, lastName) }
        if let phone { field(#","phone":"#, phone) }
        close(subscribe: subscribe, unsubscribe: unsubscribe)
    }

    public func encoded() -> Data {
        var body = out
        body.append(contentsOf: #"],"exclude_automations":"#.utf8)
        body.append(contentsOf: flag.utf8)
        body.append(UInt8(ascii: "}"))
        return Data(body)
    }

    private mutating func open() {
        if count > 0 { out.append(UInt8(ascii: ",")) }
        count += 1
        out.append(contentsOf: #"{"email":"#.utf8)
    }

    private mutating func field(_ key: StaticString, _ value: String) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        JSONText.appendString(value, to: &out)
    }

    private mutating func field(_ key: StaticString, _ value: UnsafeRawBufferPointer) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        JSONText.appendString(utf8: value, to: &out)
    }

    private mutating func close(subscribe lists: [Int], unsubscribe removals: [Int]) {
        out.append(contentsOf: subscribe.bytes(for: lists))
        out.append(contentsOf: unsubscribe.bytes(for: removals))
        out.append(contentsOf: #","exclude_automations":"#.utf8)
        out.append(contentsOf: flag.utf8)
        out.append(UInt8(ascii: "}"))
    }

    /// `,"subscribe":[{"listid":1}]` for a contact's lists (nothing for none), kept for the next contact.
    private struct ListsFragment: Sendable {
        let key: String
        private var lists: [Int] = []
        private var fragment: [UInt8] = []

        init(key: String) { self.key = key }

        mutating func bytes(for lists: [Int]) -> [UInt8] {
            if lists != self.lists {
                self.lists = lists
                fragment = lists.isEmpty ? [] : Array(",\"\(key)\":[\(lists.map { "{\"listid\":\($0)}" }.joined(separator: ","))]".utf8)
            }
            return fragment
        }
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
