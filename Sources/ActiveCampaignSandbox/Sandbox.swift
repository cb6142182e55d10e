import Foundation

public struct SandboxRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var apiToken: String?
    public var body: Data

    public init(method: String, path: String, query: [String: String], apiToken: String?, body: Data) {
        self.method = method
        self.path = path
        self.query = query
        self.apiToken = apiToken
        self.body = body
    }
}

public struct SandboxResponse: Sendable {
    public var status: Int
    public var body: Data
    public var contentType: String
    public var headers: [(String, String)] = []

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> SandboxResponse {
        SandboxResponse(status: status, body: value.encoded(), contentType: "application/json", headers: headers)
    }

    static func html(_ status: Int) -> SandboxResponse {
        let page =
            "<!DOCTYPE html><html><head><title>\(status) Gateway error</title></head><body><h1>Error \(status)</h1><p>cloudflare</p></body></html>"
        return SandboxResponse(status: status, body: Data(page.utf8), contentType: "text/html; charset=UTF-8")
    }

    static func empty(_ status: Int) -> SandboxResponse {
        SandboxResponse(status: status, body: Data(), contentType: "application/json")
    }
}

/// The sandbox's accounts, contacts, lists and import queues, behind one actor. Time-dependent behaviour (rate
/// windows, import latency and processing) is computed from the clock on each request, so no background task is
/// needed and the outcome does not depend on scheduling.
public actor Sandbox {
    public internal(set) var configuration: SandboxConfiguration
    var accounts: [String: SandboxAccount] = [:]
    var requestCounts: [String: [String: Int]] = [:]
    var random: SplitMix64
    let now: @Sendable () -> Date
    /// Counts requests, each of which may change the state: a saver compares it to know when to write.
    public internal(set) var revision = 0

    public init(configuration: SandboxConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        var configuration = configuration
        if configuration.accounts.isEmpty {
            configuration.accounts = [.init(apiKey: Self.generatedKey(), name: "sandbox")]
        }
        self.configuration = configuration
        self.random = SplitMix64(seed: configuration.faults.seed)
        self.now = now
        for (index, spec) in configuration.accounts.enumerated() {
            accounts[spec.apiKey] = Self.makeAccount(spec, id: index + 1, configuration: configuration)
        }
    }

    static func generatedKey() -> String {
        (0..<64).map { _ in String("0123456789abcdef".randomElement()!) }.joined()
    }

    static func makeAccount(_ spec: SandboxConfiguration.Account, id: Int, configuration: SandboxConfiguration) -> SandboxAccount {
        SandboxAccount(
            spec: spec,
            id: id,
            requestLimiter: SlidingWindow(limit: configuration.requestsPerSecond, window: configuration.scaled(1)),
            multiImportLimiter: SlidingWindow(limit: configuration.importsPerMinuteMulti, window: configuration.scaled(60)),
            singleImportLimiter: SlidingWindow(limit: configuration.importsPerMinuteSingle, window: configuration.scaled(60)),
            burst429Left: configuration.faults.burst429
        )
    }

    public var apiKeys: [String] { configuration.accounts.map(\.apiKey) }

    // MARK: Dispatch

    public func handle(_ request: SandboxRequest) async -> SandboxResponse {
        revision += 1
        if request.path.hasPrefix("/__sandbox/") { return inspect(request) }
        let segments = request.path.split(separator: "/").map(String.init)
        guard segments.count >= 3, segments[0] == "api", segments[1] == "3" else {
            return .json(404, ["message": "Not Found"])
        }
        let parts = Array(segments.dropFirst(2))
        let endpoint =
            "\(request.method) /api/3/"
            + parts.enumerated().map { index, part in
                index > 0 && Int(part) != nil ? "{id}" : part
            }.joined(separator: "/")

        guard let token = request.apiToken, var account = accounts[token] else {
            return .json(403, ["message": "Forbidden"])
        }
        requestCounts[token, default: [:]][endpoint, default: 0] += 1
        let faults = configuration.faults
        if faults.addedLatencyMs > 0 {
            try? await Task.sleep(for: .milliseconds(faults.addedLatencyMs))
        }
        let current = now()
        if account.burst429Left > 0 {
            accounts[token]!.burst429Left -= 1
            return .json(429, ["message": "Too Many Requests"], headers: [("Retry-After", "1")])
        }
        if faults.paymentRequiredRate > 0, random.nextDouble() < faults.paymentRequiredRate { return .empty(402) }
        if faults.serverErrorRate > 0, random.nextDouble() < faults.serverErrorRate, !faults.serverErrorStatuses.isEmpty {
            return .html(faults.serverErrorStatuses[Int(random.next() % UInt64(faults.serverErrorStatuses.count))])
        }
        if let wait = account.requestLimiter.admit(now: current) {
            accounts[token] = account
            return .json(429, ["message": "Too Many Requests"], headers: [("Retry-After", String(Int(wait.rounded(.up)).clamped(min: 1)))])
        }
        advanceImports(&account, to: current)
        let response = route(request, route: parts, account: &account, now: current)
        accounts[token] = account
        return response
    }

    private func route(_ request: SandboxRequest, route: [String], account: inout SandboxAccount, now: Date) -> SandboxResponse {
        switch (request.method, route.count, route.first ?? "") {
        case ("GET", 2, "users") where route[1] == "me": return usersMe(account)
        case ("GET", 2, "settings") where route[1] == "account": return settingsAccount(account)
        case ("GET", 1, "lists"): return lists(request, account)
        case ("GET", 2, "lists"): return list(id: route[1], account)
        case ("GET", 1, "contacts"): return contacts(request, account)
        case ("GET", 3, "contacts") where route[2] == "contactLists": return contactLists(id: route[1], account)
        case ("POST", 2, "contact") where route[1] == "sync": return syncContact(request, &account, now: now)
        case ("POST", 1, "contactLists"): return setListStatus(request, &account, now: now)
        case ("POST", 2, "import") where route[1] == "bulk_import": return bulkImport(request, &account, now: now)
        case ("GET", 2, "import") where route[1] == "info": return importInfo(request, &account, now: now)
        case ("GET", 1, "fields"): return fields(request)
        default: return .json(404, ["message": "Not Found"])
        }
    }

    // MARK: Account and lists

    private func usersMe(_ account: SandboxAccount) -> SandboxResponse {
        .json(
            200,
            [
                "user": [
                    "username": .string(account.spec.name), "firstName": "Sandbox", "lastName": "User",
                    "email": .string("owner@\(account.spec.name).example"), "phone": "", "signature": nil,
                    "links": ["lists": .string("https://\(account.spec.name).api-us1.com/api/3/users/1/lists")], "id": "1",
                ]
            ]
        )
    }

    private func settingsAccount(_ account: SandboxAccount) -> SandboxResponse {
        guard account.spec.admin else { return .json(403, ["message": "Forbidden"]) }
        return .json(
            200,
            [
                "account": .string(account.spec.name), "email": .string("owner@\(account.spec.name).example"),
                "first_name": "Sandbox", "last_name": "User", "cname": "", "status": "active",
                "subscriber_limit": configuration.contactLimit.map { .number(Double($0)) } ?? .number(1_000_000_000),
                "subscriber_total": .number(Double(account.activeContactCount)),
                "trial": false, "credits": nil, "branding": true,
            ],
            headers: [("Cache-Control", "private")]
        )
    }

    private static let listPermissionDenied: JSONValue =
        ["errors": [["status": 403, "title": "Forbidden", "detail": "You do not have permission to view lists."]]]

    private func listJSON(_ spec: SandboxConfiguration.ListSpec) -> JSONValue {
        [
            "stringid": .string(spec.name.lowercased().replacingOccurrences(of: " ", with: "-")), "userid": "1",
            "name": .string(spec.name), "cdate": "2018-08-06T16:30:41-05:00", "private": "0", "deletestamp": nil,
            "id": .string(String(spec.id)), "user": "1",
        ]
    }

    private func lists(_ request: SandboxRequest, _ account: SandboxAccount) -> SandboxResponse {
        guard account.spec.canViewLists else { return .json(403, Self.listPermissionDenied) }
        let (limit, offset) = paging(request)
        let page = configuration.lists.sorted { $0.id < $1.id }.dropFirst(offset).prefix(limit)
        return .json(200, ["lists": .array(page.map(listJSON)), "meta": ["total": .string(String(configuration.lists.count))]])
    }

    private func list(id: String, _ account: SandboxAccount) -> SandboxResponse {
        guard account.spec.canViewLists else { return .json(403, Self.listPermissionDenied) }
        guard let number = Int(id), let spec = configuration.lists.first(where: { $0.id == number }) else {
            return .json(404, ["message": .string("No Result found for _List with id \(id)")])
        }
        return .json(200, ["list": listJSON(spec)])
    }

    private func fields(_ request: SandboxRequest) -> SandboxResponse {
        let (limit, offset) = paging(request)
        let page = configuration.fields.dropFirst(offset).prefix(limit).map { field -> JSONValue in
            [
                "title": .string(field.title), "type": .string(field.type), "isrequired": "0",
                "perstag": .string(field.title.uppercased().replacingOccurrences(of: " ", with: "_")), "id": .string(String(field.id)),
            ]
        }
        return .json(
            200,
            [
                "fieldOptions": [], "fieldRels": [], "fields": .array(page),
                "meta": ["total": .string(String(configuration.fields.count))],
            ]
        )
    }

    private func paging(_ request: SandboxRequest) -> (limit: Int, offset: Int) {
        let limit = min(max(Int(request.query["limit"] ?? "") ?? 20, 1), 100)
        return (limit, max(Int(request.query["offset"] ?? "") ?? 0, 0))
    }

    // MARK: Contacts

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    func contactJSON(_ contact: SandboxContact) -> JSONValue {
        [
            "id": .string(String(contact.id)), "email": .string(contact.email), "firstName": .string(contact.firstName),
            "lastName": .string(contact.lastName), "phone": .string(contact.phone), "orgid": "0", "deleted": "0",
            "bounced_hard": "0", "anonymized": "0",
            "cdate": .string(Self.iso(contact.created)), "udate": .string(Self.iso(contact.updated)),
            "links": ["contactLists": .string("https://sandbox.api-us1.com/api/3/contacts/\(contact.id)/contactLists")],
            "organization": nil,
        ]
    }

    private func contacts(_ request: SandboxRequest, _ account: SandboxAccount) -> SandboxResponse {
        var matches = account.contacts.values.sorted { $0.id < $1.id }
        if let email = request.query["email"] {
            matches = account.emailIndex[email.lowercased()].flatMap { account.contacts[$0] }.map { [$0] } ?? []
        }
        if let listId = request.query["listid"].flatMap(Int.init) {
            let status = request.query["status"].flatMap(Int.init) ?? -1
            matches = matches.filter { contact in
                guard let listStatus = contact.lists[listId] else { return false }
                return status == -1 || listStatus.rawValue == status
            }
        }
        if let after = request.query["id_greater"].flatMap(Int.init) { matches = matches.filter { $0.id > after } }
        if request.query["orders[id]"]?.uppercased() == "DESC" { matches.reverse() }
        let (limit, offset) = paging(request)
        let page = matches.dropFirst(offset).prefix(limit)
        return .json(
            200,
            [
                "scoreValues": [], "contacts": .array(page.map(contactJSON)),
                "meta": [
                    "total": .string(String(matches.count)),
                    "page_input": ["limit": .number(Double(limit)), "offset": .number(Double(offset))],
                ],
            ]
        )
    }

    private func contactLists(id: String, _ account: SandboxAccount) -> SandboxResponse {
        guard let number = Int(id), let contact = account.contacts[number] else {
            return .json(404, ["message": .string("No Result found for Subscriber with id \(id)")])
        }
        let memberships = contact.lists.sorted { $0.key < $1.key }.map { list, status -> JSONValue in
            [
                "contact": .string(String(contact.id)), "list": .string(String(list)), "status": .string(String(status.rawValue)),
                "id": .string(String(contact.id * 1000 + list)),
            ]
        }
        return .json(200, ["contactLists": .array(memberships)])
    }

    private static let emailInvalid: JSONValue = [
        "errors": [
            [
                "title": "Contact Email Address is not valid.", "detail": "", "code": "email_invalid",
                "error": "must_be_valid_email_address", "source": ["pointer": "/data/attributes/email"],
            ]
        ]
    ]

    private func syncContact(_ request: SandboxRequest, _ account: inout SandboxAccount, now: Date) -> SandboxResponse {
        guard let body = try? JSONDecoder().decode(JSONValue.self, from: request.body), let payload = body["contact"] else {
            return .json(400, [:])
        }
        guard let email = payload["email"]?.string, !email.isEmpty else {
            return .json(
                422,
                [
                    "errors": [
                        [
                            "title": "Email address is required", "detail": "", "code": "field_missing",
                            "source": ["pointer": "/data/attributes/email"],
                        ]
                    ]
                ]
            )
        }
        guard EmailRule.isValid(email) else { return .json(422, Self.emailInvalid) }
        let existing = account.emailIndex[email.lowercased()] != nil
        let id = upsert(&account, email: email, now: now) { contact in
            if let value = payload["firstName"]?.string { contact.firstName = value }
            if let value = payload["lastName"]?.string { contact.lastName = value }
            if let value = payload["phone"]?.string { contact.phone = value }
            for field in payload["fieldValues"]?.array ?? [] {
                if let fieldId = field["field"]?.int, let value = field["value"]?.string { contact.fields[fieldId] = value }
            }
        }
        return .json(
            existing ? configuration.syncUpdateStatus : 201,
            ["fieldValues": [], "contact": contactJSON(account.contacts[id]!)]
        )
    }

    private func setListStatus(_ request: SandboxRequest, _ account: inout SandboxAccount, now: Date) -> SandboxResponse {
        guard let body = try? JSONDecoder().decode(JSONValue.self, from: request.body), let payload = body["contactList"],
            let listId = payload["list"]?.int, let contactId = payload["contact"]?.int,
            let status = payload["status"]?.int, status == 1 || status == 2
        else {
            return .json(400, [:])
        }
        guard configuration.lists.contains(where: { $0.id == listId }) else {
            return .json(404, ["message": .string("No Result found for _List with id \(listId)")])
        }
        guard var contact = account.contacts[contactId] else {
            return .json(404, ["message": .string("No Result found for Subscriber with id \(contactId)")])
        }
        // As ActiveCampaign warns: status 1 re-subscribes even a contact who unsubscribed.
        contact.lists[listId] = status == 1 ? .active : .unsubscribed
        contact.updated = now
        account.contacts[contactId] = contact
        return .json(
            200,
            [
                "contacts": [contactJSON(contact)],
                "contactList": [
                    "contact": .string(String(contactId)), "list": .string(String(listId)), "status": .number(Double(status)),
                    "sdate": .string(Self.iso(now)), "unsubreason": "", "id": .string(String(contactId * 1000 + listId)),
                ],
            ]
        )
    }

    /// Creates or updates a contact by email (case-insensitive) and returns its id.
    func upsert(_ account: inout SandboxAccount, email: String, now: Date, apply: (inout SandboxContact) -> Void) -> Int {
        if let id = account.emailIndex[email.lowercased()] {
            apply(&account.contacts[id]!)
            account.contacts[id]!.updated = now
            return id
        }
        var contact = SandboxContact(id: account.nextContactId, email: email, created: now, updated: now)
        account.nextContactId += 1
        apply(&contact)
        account.contacts[contact.id] = contact
        account.emailIndex[email.lowercased()] = contact.id
        return contact.id
    }
}

extension Int {
    func clamped(min lower: Int) -> Int { Swift.max(self, lower) }
}

/// A small deterministic generator, so that fault injection with a seed repeats exactly.
struct SplitMix64: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// ActiveCampaign publishes no email grammar; this is a conservative one (one @, a dotted domain, no spaces,
/// quotes, commas or doubled dots), matching what its importer is documented to refuse.
public enum EmailRule {
    public static func isValid(_ email: String) -> Bool {
        guard email.count <= 254, !email.contains(" "), !email.contains(","), !email.contains("\""), !email.contains("..") else {
            return false
        }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last, !local.isEmpty, local.count <= 64,
            !local.hasPrefix("."), !local.hasSuffix(".")
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }),
            let tld = labels.last, tld.count >= 2
        else { return false }
        return email.unicodeScalars.allSatisfy { $0.value > 32 && $0.value != 127 }
    }
}
