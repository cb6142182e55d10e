import Foundation

/// Everything that can go wrong talking to ActiveCampaign, as cases a person (or the engine) can act on.
/// Messages never contain the API key.
public enum ActiveCampaignError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum HostProblem: Equatable, Sendable {
        case nameNotFound, tlsFailed, connectionRefused
        case other(String)
    }

    public struct Rejection: Equatable, Sendable {
        /// The contact's position in the request (as ActiveCampaign counts it), when the reason names one.
        public var index: Int?
        public var email: String?
        public var reason: String
    }

    /// 403 or 401 from `users/me`: the key (or the host it was sent to) is wrong.
    case invalidCredentials
    /// 403 from another call after the key was accepted: the key's user lacks a permission.
    case noPermission(String)
    case listNotFound(String)
    case notFound(String)
    /// 429 or 503; wait `retryAfter` seconds when given.
    case rateLimited(retryAfter: Double?)
    /// The bulk importer's own limit (a 400, or 429, whose message is "Rate limit exceeded").
    case importerRateLimited(retryAfter: Double?)
    /// The whole request was refused for its contents (bulk import validation, 422 on sync).
    case payloadRejected([Rejection])
    /// 402: the account's payment status.
    case paymentRequired
    /// 5xx other than 503, often with an HTML body.
    case serverError(status: Int)
    case badHost(HostProblem)
    case timeout
    /// A 2xx (or error) whose body is not the JSON the API sends.
    case invalidResponse(String)
    /// Any other refusal, with ActiveCampaign's message.
    case requestRejected(status: Int, message: String)

    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .importerRateLimited, .serverError, .timeout: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .invalidCredentials:
            "ActiveCampaign did not accept this API key for this host. Copy both again from Settings > Developer in ActiveCampaign."
        case .noPermission(let detail):
            "The API key's user is not allowed to do this in ActiveCampaign (\(detail)). Use the key of a user with that permission."
        case .listNotFound(let id):
            "ActiveCampaign has no list with id \(id) in this account."
        case .notFound(let message):
            "ActiveCampaign could not find it: \(message)"
        case .rateLimited(let retryAfter):
            "ActiveCampaign is limiting the request rate"
                + (retryAfter.map { "; try again in \(Int($0.rounded(.up))) s." } ?? "; try again shortly.")
        case .importerRateLimited:
            "ActiveCampaign's bulk importer is limiting imports; they continue after a pause."
        case .payloadRejected(let rejections):
            "ActiveCampaign refused the contacts: " + rejections.prefix(3).map(\.reason).joined(separator: "; ")
        case .paymentRequired:
            "ActiveCampaign refused the request because of the account's payment status (402). Check the account's billing."
        case .serverError(let status):
            "ActiveCampaign had a server error (\(status)). It is usually temporary."
        case .badHost(.nameNotFound):
            "The host name was not found. Check the API URL under Settings > Developer in ActiveCampaign."
        case .badHost(.tlsFailed):
            "A secure (TLS) connection to the host could not be made."
        case .badHost(.connectionRefused):
            "The host refused the connection."
        case .badHost(.other(let detail)):
            "The host could not be reached (\(detail))."
        case .timeout:
            "ActiveCampaign did not answer in time."
        case .invalidResponse(let detail):
            "The host answered, but not with ActiveCampaign's API (\(detail)). Check the API URL."
        case .requestRejected(let status, let message):
            "ActiveCampaign refused the request (\(status)): \(message)"
        }
    }
}
