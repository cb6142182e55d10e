import Foundation
import Secrets

/// Everything `buildApplication` needs to know, gathered by the CLI from flags and `OUTBOUND_*` variables.
public struct AppConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The address people use; an https URL makes session cookies `Secure`.
    public var publicURL: URL?
    /// Peers whose `X-Forwarded-For` is believed; everyone else's address is the socket's.
    public var trustedProxies: Set<String>
    public var templatesDirectory: String
    public var publicDirectory: String
    public var sessionIdleTimeout: TimeInterval
    public var sessionAbsoluteTimeout: TimeInterval
    public var passwordParameters: ScryptParameters
    /// Threads of the dedicated password-hashing pool, and how many hashes may wait for one.
    public var hashingThreads: Int
    public var hashingQueueLimit: Int
    public var loginMaxFailures: Int
    public var loginLockout: TimeInterval
    /// Form bodies larger than this answer 413.
    public var maxFormBytes: Int
    /// `HOST[:PORT]` entries an API key may be sent to although they do not look like ActiveCampaign's API hosts
    /// (the sandbox on 127.0.0.1); they may use plain http.
    public var allowedDestinationHosts: [String]
    /// Timeouts of calls to ActiveCampaign (connect 10 s and read 30 s by default).
    public var destinationConnectTimeout: Duration = .seconds(10)
    /// The largest profile CSV accepted by upload.
    public var maxImportBytes: Int = 1 << 30
    /// Where uploads wait while imported (`<data dir>/uploads`, owner-only); nil only in tests, which get a
    /// private temporary folder.
    public var uploadsDirectory: String?
    public var destinationReadTimeout: Duration = .seconds(30)
    /// The engine's requests per second to one ActiveCampaign account, for the preview's time estimate.
    public var destinationRequestsPerSecond: Double = 4
    /// Set by `outbound demo` only: the demo page and its link.
    public var demo: DemoMode?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        publicURL: URL? = nil,
        trustedProxies: Set<String> = [],
        templatesDirectory: String,
        publicDirectory: String,
        sessionIdleTimeout: TimeInterval = 30 * 60,
        sessionAbsoluteTimeout: TimeInterval = 12 * 60 * 60,
        passwordParameters: ScryptParameters = .interactive,
        hashingThreads: Int = 2,
        hashingQueueLimit: Int = 8,
        loginMaxFailures: Int = 10,
        loginLockout: TimeInterval = 15 * 60,
        maxFormBytes: Int = 64 * 1024,
        allowedDestinationHosts: [String] = []
    ) {
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.trustedProxies = trustedProxies
        self.templatesDirectory = templatesDirectory
        self.publicDirectory = publicDirectory
        self.sessionIdleTimeout = sessionIdleTimeout
        self.sessionAbsoluteTimeout = sessionAbsoluteTimeout
        self.passwordParameters = passwordParameters
        self.hashingThreads = hashingThreads
        self.hashingQueueLimit = hashingQueueLimit
        self.loginMaxFailures = loginMaxFailures
        self.loginLockout = loginLockout
        self.maxFormBytes = maxFormBytes
        self.allowedDestinationHosts = allowedDestinationHosts
    }

    var secureCookies: Bool { publicURL?.scheme?.lowercased() == "https" }

    /// Over https the session cookie is `__Host-` prefixed: the browser then accepts it only when Secure, for
    /// Path=/ and without Domain, so neither plain http nor a sibling subdomain can plant or widen it. The
    /// sign-in form's cookie lives on /login, so it takes the `__Secure-` prefix.
    var sessionCookieName: String { secureCookies ? "__Host-" + SessionMiddleware.cookieName : SessionMiddleware.cookieName }
    var loginCookieName: String { secureCookies ? "__Secure-" + AuthController.loginCookie : AuthController.loginCookie }
}
