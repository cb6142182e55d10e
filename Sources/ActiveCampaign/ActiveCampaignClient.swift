import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import OutboundCore
import Secrets

/// A typed client for the ActiveCampaign API v3 calls Outbound needs (`shared/reference/activecampaign-api.md` is
/// the contract). Every answer is checked: a 2xx whose body is not the expected JSON is an error, never a success.
/// The `Api-Token` header is never logged; logs carry the method, path and status only.
public struct ActiveCampaignClient: Sendable {
    public let endpoint: APIEndpoint
    let apiKey: Redacted
    let httpClient: HTTPClient
    let logger: Logger

    static let maxResponseBytes = 1 << 20
    static let requestDeadline: TimeAmount = .seconds(45)

    public init(endpoint: APIEndpoint, apiKey: Redacted, httpClient: HTTPClient, logger: Logger = Logger(label: "activecampaign")) {
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.httpClient = httpClient
        self.logger = logger
    }

    /// An HTTP client with the settings every ActiveCampaign call needs: connect timeout 10 s, read timeout 30 s,
    /// no redirects followed. `dnsOverride` pins a host to the address that was checked (see the hostname rules).
    public static func makeHTTPClient(
        dnsOverride: [String: String] = [:],
        connectTimeout: TimeAmount = .seconds(10),
        readTimeout: TimeAmount = .seconds(30)
    ) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: connectTimeout, read: readTimeout)
        )
        configuration.dnsOverride = dnsOverride
        configuration.httpVersion = .http1Only
        // A refused connection or a failed TLS handshake is an answer: report it at once rather than retrying until
        // the connect timeout (the engine has its own backoff, and a person pressing Connect should not wait 10 s).
        configuration.connectionPool.retryConnectionEstablishment = false
        // Outbound sets up no distributed tracing: without a tracer the client skips making a span (and its
        // attributes) for every request.
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    // MARK: Calls

    public func me() async throws(ActiveCampaignError) -> ACUser {
        let json = try await object(.GET, "users/me", call: .credentialsCheck)
        guard let user = json["user"] as? [String: Any], let id = Self.string(user["id"]) else {
            throw .invalidResponse("users/me without a user")
        }
        return ACUser(
            id: id,
            username: Self.string(user["username"]) ?? "",
            email: Self.string(user["email"]) ?? "",
            firstName: Self.string(user["firstName"]) ?? "",
            lastName: Self.string(user["lastName"]) ?? ""
        )
    }

    public func accountSettings() async throws(ActiveCampaignError) -> ACAccountSettings {
        let json = try await object(.GET, "settings/account")
        guard let account = Self.string(json["account"]) else { throw .invalidResponse("settings/account without an account") }
        return ACAccountSettings(
            account: account,
            subscriberLimit: Self.int(json["subscriber_limit"]),
            subscriberTotal: Self.int(json["subscriber_total"])
        )
    }

    public func list(id: String) async throws(ActiveCampaignError) -> ACList {
        let json: [String: Any]
        do { json = try await object(.GET, "lists/\(Self.pathSegment(id))") } catch .notFound {
            throw .listNotFound(id)
        }
        guard let list = json["list"] as? [String: Any], let parsed = Self.parseList(list) else {
            throw .invalidResponse("lists/{id} without a list")
        }
        return parsed
    }

    /// Whether the key's user may read lists (one cheap call): a 403 here is `noPermission`.
    public func checkListAccess() async throws(ActiveCampaignError) {
        let json = try await object(.GET, "lists", query: [("limit", "1")])
        guard json["lists"] is [Any] else { throw .invalidResponse("lists without a list array") }
    }

    /// Every list of the account (all pages, 100 at a time).
    public func lists() async throws(ActiveCampaignError) -> [ACList] {
        var lists: [ACList] = []
        while true {
            let json = try await object(.GET, "lists", query: [("limit", "100"), ("offset", String(lists.count))])
            guard let page = json["lists"] as? [[String: Any]] else { throw .invalidResponse("lists without a list array") }
            let parsed = page.compactMap(Self.parseList)
            guard parsed.count == page.count else { throw .invalidResponse("a list without an id or a name") }
            lists += parsed
            let total = Self.int((json["meta"] as? [String: Any])?["total"]) ?? lists.count
            if page.isEmpty || lists.count >= total { return lists }
        }
    }

    /// The contact with this email, or nil.
    public func contact(email: String) async throws(ActiveCampaignError) -> ACContact? {
        let json: [String: Any]
        do { json = try await object(.GET, "contacts", query: [("email", email)]) } catch .notFound {
            return nil  // some accounts answer a "No Result found for Subscriber" message instead of an empty list
        }
        guard let contacts = json["contacts"] as? [[String: Any]] else { throw .invalidResponse("contacts without a contact array") }
        return try contacts.first.map { contact throws(ActiveCampaignError) in try Self.parseContact(contact) }
    }

    /// Every contact on a list (any status), paged by id as ActiveCampaign recommends for large accounts.
    public func listMembers(listId: String, pageSize: Int = 100) async throws(ActiveCampaignError) -> [ACContact] {
        var members: [ACContact] = []
        var after = "0"
        while true {
            let page = try await listMembersPage(listId: listId, afterId: after, pageSize: pageSize)
            members += page.contacts
            guard let next = page.nextAfterId else { return members }
            after = next
        }
    }

    /// One page of a list's members in id order, and the id to continue after (nil on the last page), so a
    /// caller can pace, check and store page by page.
    public func listMembersPage(
        listId: String,
        afterId: String,
        pageSize: Int = 100
    ) async throws(ActiveCampaignError)
        -> (contacts: [ACContact], nextAfterId: String?)
    {
        let limit = min(pageSize, 100)
        let json = try await object(
            .GET,
            "contacts",
            query: [("listid", listId), ("id_greater", afterId), ("orders[id]", "ASC"), ("limit", String(limit))]
        )
        guard let page = json["contacts"] as? [[String: Any]] else { throw .invalidResponse("contacts without a contact array") }
        var contacts: [ACContact] = []
        for contact in page { contacts.append(try Self.parseContact(contact)) }
        return (contacts, contacts.count == limit ? contacts.last?.id : nil)
    }

    public func contactLists(contactId: String) async throws(ActiveCampaignError) -> [ACListMembership] {
        let json = try await object(.GET, "contacts/\(Self.pathSegment(contactId))/contactLists")
        guard let memberships = json["contactLists"] as? [[String: Any]] else {
            throw .invalidResponse("contactLists without a membership array")
        }
        return memberships.compactMap { membership in
            Self.string(membership["list"]).map {
                ACListMembership(listId: $0, status: Self.int(membership["status"]).flatMap(ACListMembership.Status.init))
            }
        }
    }

    /// Creates or updates one contact by email (`contact/sync`, camelCase fields).
    public func syncContact(
        email: String,
        firstName: String? = nil,
        lastName: String? = nil,
        phone: String? = nil
    ) async throws(ActiveCampaignError) -> ACContact {
        var contact: [String: Any] = ["email": email]
        if let firstName { contact["firstName"] = firstName }
        if let lastName { contact["lastName"] = lastName }
        if let phone { contact["phone"] = phone }
        let json = try await object(.POST, "contact/sync", body: ["contact": contact])
        guard let result = json["contact"] as? [String: Any] else { throw .invalidResponse("contact/sync without a contact") }
        return try Self.parseContact(result)
    }

    /// Subscribes (status 1) or unsubscribes (status 2) one contact. Status 1 re-subscribes a contact who
    /// unsubscribed; exports use the bulk importer, which never does.
    public func setListStatus(contactId: String, listId: String, subscribed: Bool) async throws(ActiveCampaignError) {
        let json = try await object(
            .POST,
            "contactLists",
            body: [
                "contactList": ["list": Int(listId) ?? 0, "contact": Int(contactId) ?? 0, "status": subscribed ? 1 : 2]
            ]
        )
        guard json["contactList"] is [String: Any] else { throw .invalidResponse("contactLists without a contactList") }
    }

    /// Queues a bulk import. `exclude_automations` is sent per contact and at the top level, since the contract
    /// does not say which one ActiveCampaign reads.
    public func bulkImport(_ contacts: [BulkContact], excludeAutomations: Bool) async throws(ActiveCampaignError) -> BatchTicket {
        var body = BulkImportBody(excludeAutomations: excludeAutomations, expectedContacts: contacts.count)
        for contact in contacts { body.append(contact) }
        return try await bulkImport(body)
    }

    /// Queues a bulk import of a body built a contact at a time.
    public func bulkImport(_ body: BulkImportBody) async throws(ActiveCampaignError) -> BatchTicket {
        let json = try await object(.POST, "import/bulk_import", encodedBody: body.encoded(), call: .bulkImport)
        // "success" or "Success": the docs and live probes disagree, so read it case-insensitively.
        let success = json.first { $0.key.lowercased() == "success" }.flatMap { Self.int($0.value) }
        guard success == 1, let batchId = Self.string(json["batchId"]), !batchId.isEmpty else {
            throw .invalidResponse("bulk_import without success and a batchId")
        }
        return BatchTicket(batchId: batchId, queuedContacts: Self.int(json["queued_contacts"]) ?? body.count)
    }

    public func importInfo(batchId: String) async throws(ActiveCampaignError) -> ImportInfo {
        let json = try await object(.GET, "import/info", query: [("batchId", batchId)])
        let status: ImportInfo.Status
        switch json["status"] {
        case let flag as Bool where flag == false: status = .notReady
        case let text as String:
            switch text {
            case "waiting": status = .waiting
            case "claimed": status = .claimed
            case "active": status = .active
            case "completed": status = .completed
            case "failed": status = .failed
            case "interrupted": status = .interrupted
            default: status = .other(text)
            }
        default: throw .invalidResponse("import/info without a status")
        }
        let success = (json["success"] as? [Any] ?? []).compactMap(Self.string)
        let failure = (json["failure"] as? [Any] ?? []).compactMap(Self.string)
        return ImportInfo(status: status, success: success, failure: failure)
    }

    /// Every custom field (all pages).
    public func fields() async throws(ActiveCampaignError) -> [ACField] {
        var fields: [ACField] = []
        while true {
            let json = try await object(.GET, "fields", query: [("limit", "100"), ("offset", String(fields.count))])
            guard let page = json["fields"] as? [[String: Any]] else { throw .invalidResponse("fields without a field array") }
            fields += page.compactMap { field in
                Self.string(field["id"]).map {
                    ACField(id: $0, title: Self.string(field["title"]) ?? "", type: Self.string(field["type"]) ?? "")
                }
            }
            let total = Self.int((json["meta"] as? [String: Any])?["total"]) ?? fields.count
            if page.isEmpty || fields.count >= total { return fields }
        }
    }

    // MARK: Transport and error model

    enum Call { case credentialsCheck, standard, bulkImport }

    private func object(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        body: [String: Any]? = nil,
        encodedBody: Data? = nil,
        call: Call = .standard
    ) async throws(ActiveCampaignError) -> [String: Any] {
        var payload = encodedBody
        if let body {
            guard let data = try? JSONSerialization.data(withJSONObject: body) else { throw .invalidResponse("request not encodable") }
            payload = data
        }
        let (status, headers, data) = try await send(method, path, query: query, body: payload)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        guard (200..<300).contains(status) else {
            throw Self.classify(status: status, retryAfter: headers.first(name: "Retry-After"), json: json, data: data, call: call)
        }
        guard let json else {
            let kind = headers.first(name: "Content-Type") ?? "no content type"
            throw .invalidResponse("status \(status) with a body that is not JSON (\(kind))")
        }
        return json
    }

    private func send(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)],
        body: Data?
    ) async throws(ActiveCampaignError) -> (Int, HTTPHeaders, Data) {
        var request = HTTPClientRequest(url: endpoint.url(path, query: query))
        request.method = method
        request.headers.add(name: "Api-Token", value: apiKey.value)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await httpClient.execute(request, timeout: Self.requestDeadline)
            let buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
            logger.debug(
                "ActiveCampaign call",
                metadata: ["method": "\(method.rawValue)", "path": "\(path)", "status": "\(response.status.code)"]
            )
            return (Int(response.status.code), response.headers, Data(buffer.readableBytesView))
        } catch is NIOTooManyBytesError {
            throw .invalidResponse("response larger than 1 MiB")
        } catch {
            throw Self.transportError(error)
        }
    }

    static func transportError(_ error: any Error) -> ActiveCampaignError {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .readTimeout, .deadlineExceeded, .writeTimeout: return .timeout
            default: break
            }
        }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty { return .badHost(.nameNotFound) }
            if error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) {
                return .badHost(.connectionRefused)
            }
            return .badHost(.other("could not connect"))
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return .timeout }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return .badHost(.connectionRefused) }
        let typeName = String(reflecting: type(of: error))
        if typeName.contains("SSL") || typeName.contains("TLS") { return .badHost(.tlsFailed) }
        if typeName.contains("NIOConnectionError") || typeName.contains("DNS") || typeName.contains("Resolution") {
            return .badHost(.nameNotFound)
        }
        return .badHost(.other(String(describing: type(of: error))))
    }

    /// Turns a non-2xx answer into a case, reading every body shape the contract lists.
    static func classify(status: Int, retryAfter: String?, json: [String: Any]?, data: Data, call: Call) -> ActiveCampaignError {
        let message = errorMessage(json: json)
        let wait = retryAfter.flatMap(parseRetryAfter)
        if message?.lowercased().hasPrefix("rate limit exceeded") == true || (call == .bulkImport && status == 429 && message != nil) {
            return .importerRateLimited(retryAfter: wait)
        }
        switch status {
        case 429, 503: return .rateLimited(retryAfter: wait)
        case 401, 403: return call == .credentialsCheck ? .invalidCredentials : .noPermission(message ?? "forbidden")
        case 402: return .paymentRequired
        case 404: return .notFound(message ?? "not found")
        case 400, 413, 422:
            let rejections = rejectionsFrom(json: json)
            if !rejections.isEmpty { return .payloadRejected(rejections) }
            return .requestRejected(status: status, message: message ?? (data.isEmpty ? "no details given" : "invalid request"))
        case 500...599: return .serverError(status: status)
        default: return .requestRejected(status: status, message: message ?? "unexpected status")
        }
    }

    /// `errors[*].title` (plus `detail`), else `message`, as the contract recommends; one bounded line.
    static func errorMessage(json: [String: Any]?) -> String? {
        unboundedErrorMessage(json: json).map { BoundedText.summary($0, limit: 300) }
    }

    private static func unboundedErrorMessage(json: [String: Any]?) -> String? {
        guard let json else { return nil }
        if let errors = json["errors"] as? [[String: Any]], !errors.isEmpty {
            return errors.map { error in
                let title = string(error["title"]) ?? ""
                let detail = string(error["detail"]) ?? ""
                return detail.isEmpty ? title : (title.isEmpty ? detail : "\(title): \(detail)")
            }.joined(separator: "; ")
        }
        if let errors = json["errors"] as? String { return errors }
        return string(json["message"])
    }

    static func rejectionsFrom(json: [String: Any]?) -> [ActiveCampaignError.Rejection] {
        guard let json else { return [] }
        if let reasons = json["failureReasons"] as? [Any] {
            return reasons.compactMap { reason in
                if let text = reason as? String { return .init(index: nil, email: nil, reason: BoundedText.summary(text, limit: 300)) }
                guard let object = reason as? [String: Any], let text = string(object["failureReason"]) else { return nil }
                return .init(index: int(object["contact"]), email: emailIn(text), reason: BoundedText.summary(text, limit: 300))
            }
        }
        if let errors = json["errors"] as? [[String: Any]] {
            return errors.map { .init(index: nil, email: nil, reason: string($0["title"]) ?? string($0["code"]) ?? "invalid") }
        }
        return []
    }

    static func emailIn(_ text: String) -> String? {
        text.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "'" || $0 == "\u{2018}" || $0 == "\u{2019}" })
            .first { $0.contains("@") }.map(String.init)
    }

    static func parseRetryAfter(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    // MARK: Lenient JSON (ids and numbers arrive as strings or numbers)

    static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    static func int(_ value: Any?) -> Int? {
        switch value {
        case let text as String: Int(text)
        case let number as NSNumber: number.intValue
        default: nil
        }
    }

    static func parseList(_ list: [String: Any]) -> ACList? {
        guard let id = string(list["id"]), let name = string(list["name"]) else { return nil }
        return ACList(id: id, name: name)
    }

    static func parseContact(_ contact: [String: Any]) throws(ActiveCampaignError) -> ACContact {
        guard let id = string(contact["id"]), let email = string(contact["email"]) else {
            throw .invalidResponse("a contact without an id or email")
        }
        return ACContact(
            id: id,
            email: email,
            firstName: string(contact["firstName"]) ?? "",
            lastName: string(contact["lastName"]) ?? "",
            phone: string(contact["phone"]) ?? ""
        )
    }

    static func pathSegment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
