import ActiveCampaign
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OutboundCore
import Secrets
import Store
import Testing

@testable import Web

let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Two tenants and people in each role, on an in-memory database, with a cheap scrypt cost (tests only).
/// The app's clock is manual: sessions, drafts and throttles move only when a test advances it.
struct TestWorld {
    static let password = "correct horse battery staple"

    let database: AppDatabase
    let clock: AppClock
    let vault = Vault(ring: .generate())
    var resolver = FakeResolver()
    var logger = Logger(label: "test")
    /// The data folder, for a world made `onDisk`.
    var directory: String?
    let configuration: AppConfiguration
    var acme: Tenant
    var globex: Tenant
    var users: [String: User] = [:]

    /// - Parameter clock: the app's clock; a test passes the one a sandbox or an engine also reads.
    static func make(
        onDisk: Bool = false,
        clock: AppClock = .manual(),
        configure: (inout AppConfiguration) -> Void = { _ in }
    ) async throws -> TestWorld {
        let directory = onDisk ? try temporaryDirectory() : nil
        let database =
            try directory.map { try AppDatabase.open(path: $0 + "/outbound.sqlite", clock: clock) }
            ?? AppDatabase.inMemory(clock: clock)
        var configuration = AppConfiguration(
            templatesDirectory: packageRoot + "/Templates",
            publicDirectory: packageRoot + "/Public",
            passwordParameters: .testing
        )
        configuration.uploadsDirectory = try temporaryDirectory() + "/uploads"
        configure(&configuration)
        let hasher = PasswordHasher(parameters: .testing)
        let acme = try await database.createTenant(slug: "acme", name: "Acme Corp")
        let globex = try await database.createTenant(slug: "globex", name: "Globex")
        var world = TestWorld(database: database, clock: clock, configuration: configuration, acme: acme, globex: globex)
        world.directory = directory
        for (email, tenant, role) in [
            ("alice@acme.test", acme, Role.admin), ("bob@acme.test", acme, .contributor),
            ("carol@acme.test", acme, .viewer), ("mallory@globex.test", globex, .admin),
        ] {
            let added = try await database.addMember(
                tenantId: tenant.id!,
                email: email,
                role: role,
                newPasswordHash: try hasher.hash(password),
                mustChangePassword: false,
                actor: .commandLine
            )
            if case .newAccount(let user) = added { world.users[email] = user }
        }
        return world
    }

    func app() async throws -> some ApplicationProtocol {
        try await buildApplication(
            configuration: configuration,
            database: database,
            vault: vault,
            resolver: resolver,
            logger: logger
        )
    }

    func router() async throws -> Router<AppRequestContext> {
        buildRouter(
            services: try await AppServices.make(
                configuration: configuration,
                database: database,
                vault: vault,
                resolver: resolver
            )
        )
    }

    func userId(_ email: String) -> Int64 { users[email]!.id! }

    /// A world whose app logs into the returned recorder (for warnings the server must give).
    static func recordingLogs(configure: (inout AppConfiguration) -> Void = { _ in }) async throws -> (TestWorld, LogRecorder) {
        let records = LogRecorder()
        var world = try await make(configure: configure)
        world.logger = Logger(label: "recorded") { _ in RecordingHandler(recorder: records) }
        return (world, records)
    }
}

/// A browser-like helper over the test client: keeps the session cookie and the page's CSRF token.
struct Browser {
    let client: any TestClientProtocol
    var cookie: String = ""

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&"))
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// GET /login, then POST the form with the pre-session token. Returns the response of the POST.
    @discardableResult
    mutating func signIn(_ email: String, _ password: String = TestWorld.password) async throws -> TestResponse {
        let (loginCookie, token) = try await client.execute(uri: "/login", method: .get) { response in
            let cookie = try #require(Self.cookie(named: AuthController.loginCookie, in: response))
            return (cookie, try #require(Self.csrf(in: String(buffer: response.body))))
        }
        let response = try await client.execute(
            uri: "/login",
            method: .post,
            headers: [
                .contentType: "application/x-www-form-urlencoded",
                .cookie: ([cookie, "\(AuthController.loginCookie)=\(loginCookie)"].filter { !$0.isEmpty }).joined(separator: "; "),
            ],
            body: Self.form([("email", email), ("password", password), ("_csrf", token)])
        ) { $0 }
        if let session = Self.cookie(named: SessionMiddleware.cookieName, in: response) {
            cookie = "\(SessionMiddleware.cookieName)=\(session)"
        }
        return response
    }

    func get(_ uri: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]) { $0 }
    }

    /// POSTs a form with the CSRF token read from `tokenPage` (a page the person would have open).
    func post(_ uri: String, _ fields: [(String, String)], tokenFrom tokenPage: String = "/account") async throws -> TestResponse {
        let token = try #require(Self.csrf(in: String(buffer: try await get(tokenPage).body)))
        return try await postRaw(uri, fields + [("_csrf", token)])
    }

    func postRaw(_ uri: String, _ fields: [(String, String)]) async throws -> TestResponse {
        var headers = Self.formType
        headers[.cookie] = cookie
        return try await client.execute(uri: uri, method: .post, headers: headers, body: Self.form(fields)) { $0 }
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="_csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func cookie(named name: String, in response: TestResponse) -> String? {
        for field in response.headers where field.name == .setCookie {
            let pair = field.value.split(separator: ";")[0]
            if pair.hasPrefix("\(name)=") { return String(pair.dropFirst(name.count + 1)) }
        }
        return nil
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

/// A resolver with a fixed table, so tests never depend on DNS.
struct FakeResolver: HostResolver {
    var table: [String: [String]] = [
        "localhost": ["127.0.0.1"],
        "acme.api-us1.com": ["93.184.216.34"],
        "private.api-us1.com": ["10.1.2.3"],
        "loop.api-us1.com": ["127.0.0.1"],
        "mapped.api-us1.com": ["::ffff:192.168.1.1"],
        "mixed.api-us1.com": ["93.184.216.34", "169.254.169.254"],
        "cgnat.api-us1.com": ["100.64.0.1"],
    ]

    func addresses(of host: String) async -> [String] { table[host] ?? [] }
}
