import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import OutboundCore
import Secrets

/// Resolves host names to addresses. The system resolver runs `getaddrinfo` on a dedicated thread (it blocks);
/// tests give a fixed table.
public protocol HostResolver: Sendable {
    func addresses(of host: String) async -> [String]
}

public struct SystemResolver: HostResolver {
    let pool = BlockingPool(name: "dns", threads: 2, maxPending: 64)

    public init() {}

    public func addresses(of host: String) async -> [String] {
        (try? await pool.run {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
            defer { freeaddrinfo(first) }
            var addresses: [String] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let info = cursor {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0
                {
                    let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if !addresses.contains(address) { addresses.append(address) }
                }
                cursor = info.pointee.ai_next
            }
            return addresses
        }) ?? []
    }
}

/// Hands out ActiveCampaign clients for a stored or typed destination: the host is checked by the policy,
/// resolved once, its addresses checked, and the HTTP client pinned (`dnsOverride`) to the checked address, so a
/// DNS answer that changes between the check and the request cannot redirect the key elsewhere.
public struct ActiveCampaignGateway: Sendable {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case host(HostPolicy.Refusal)
        case api(ActiveCampaignError)

        public var description: String {
            switch self {
            case .host(let refusal): refusal.description
            case .api(let error): error.description
            }
        }
    }

    public let policy: HostPolicy
    let resolver: any HostResolver
    let logger: Logger
    let connectTimeout: TimeAmount
    let readTimeout: TimeAmount

    public init(
        policy: HostPolicy,
        resolver: any HostResolver = SystemResolver(),
        logger: Logger = Logger(label: "activecampaign"),
        connectTimeout: TimeAmount = .seconds(10),
        readTimeout: TimeAmount = .seconds(30)
    ) {
        self.policy = policy
        self.resolver = resolver
        self.logger = logger
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
    }

    /// A client for a whole export run: checked, resolved and pinned once, closed by the caller with `close()`.
    public func open(_ destination: HostPolicy.Destination, apiKey: Redacted) async throws(Failure) -> PinnedClient {
        let operatorScheme = policy.operatorScheme(destination)
        let addresses = IPLiteral.isLiteral(destination.host) ? [destination.host] : await resolver.addresses(of: destination.host)
        let address: String
        do { address = try policy.check(destination, addresses: addresses) } catch { throw .host(error) }
        let http = ActiveCampaignClient.makeHTTPClient(
            dnsOverride: address == destination.host ? [:] : [destination.host: address],
            connectTimeout: connectTimeout,
            readTimeout: readTimeout
        )
        let endpoint = APIEndpoint(scheme: operatorScheme ?? "https", host: destination.host, port: destination.port)
        return PinnedClient(client: ActiveCampaignClient(endpoint: endpoint, apiKey: apiKey, httpClient: http, logger: logger), http: http)
    }

    /// Runs `body` with a client for `destination` (already normalised) and `apiKey`.
    public func withClient<T: Sendable>(
        _ destination: HostPolicy.Destination,
        apiKey: Redacted,
        _ body: (ActiveCampaignClient) async throws(ActiveCampaignError) -> T
    ) async throws(Failure) -> T {
        let operatorScheme = policy.operatorScheme(destination)
        let addresses = IPLiteral.isLiteral(destination.host) ? [destination.host] : await resolver.addresses(of: destination.host)
        let address: String
        do { address = try policy.check(destination, addresses: addresses) } catch { throw .host(error) }
        let http = ActiveCampaignClient.makeHTTPClient(
            dnsOverride: address == destination.host ? [:] : [destination.host: address],
            connectTimeout: connectTimeout,
            readTimeout: readTimeout
        )
        // Plain http only for a host the operator allowed so (the sandbox); ActiveCampaign itself is https.
        let endpoint = APIEndpoint(scheme: operatorScheme ?? "https", host: destination.host, port: destination.port)
        let client = ActiveCampaignClient(endpoint: endpoint, apiKey: apiKey, httpClient: http, logger: logger)
        let result: Result<T, ActiveCampaignError>
        do { result = .success(try await body(client)) } catch { result = .failure(error) }
        try? await http.shutdown()
        switch result {
        case .success(let value): return value
        case .failure(let error): throw .api(error)
        }
    }
}

/// An ActiveCampaign client pinned to a checked address, with the HTTP client it owns.
public struct PinnedClient: Sendable {
    public let client: ActiveCampaignClient
    let http: HTTPClient

    public func close() async { try? await http.shutdown() }
}
