import HTTPTypes
import Hummingbird
import Logging
import Synchronization

struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trustedProxies: Set<String>
    let publicURLIsHTTPS: Bool
    var logger = Logger(label: "outbound")
    /// Warned once per server: X-Forwarded-For from a peer that is not a trusted proxy.
    private let warned = WarnedOnce()
    /// Warned once per server: requests that came over https while the public URL is not https.
    private let warnedHTTPS = WarnedOnce()

    init(trustedProxies: Set<String>, publicURLIsHTTPS: Bool = false, logger: Logger = Logger(label: "outbound")) {
        self.trustedProxies = trustedProxies
        self.publicURLIsHTTPS = publicURLIsHTTPS
        self.logger = logger
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.headers[.xForwardedFor] != nil, let peer = context.peerAddress, !trustedProxies.contains(peer), warned.first() {
            // Behind a proxy that is not trusted, every client shares the proxy's address (one sign-in throttle
            // for all); a client sending the header itself is ignored, as it should be.
            logger.warning(
                "X-Forwarded-For arrived from \(peer), which is not a trusted proxy: client addresses use the peer address. If it is your proxy, start with --trusted-proxy \(peer)."
            )
        }
        if !publicURLIsHTTPS, request.headers[.xForwardedProto]?.lowercased() == "https", warnedHTTPS.first() {
            logger.warning(
                "Requests arrive over https (X-Forwarded-Proto) but --public-url is not https: session cookies are not Secure and Strict-Transport-Security is off. Start with --public-url https://<your host>."
            )
        }
        var context = context
        context.clientAddress = ClientAddress.resolve(
            peer: context.peerAddress,
            forwardedFor: request.headers[.xForwardedFor],
            trustedProxies: trustedProxies
        )
        return try await next(request, context)
    }
}

final class WarnedOnce: Sendable {
    private let done = Atomic<Bool>(false)
    /// True the first time only.
    func first() -> Bool { !done.exchange(true, ordering: .relaxed) }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let xCSRFToken = Self("X-CSRF-Token")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
