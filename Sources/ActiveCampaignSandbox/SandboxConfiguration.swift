import Foundation

/// How the sandbox behaves. The defaults follow `shared/reference/activecampaign-api.md`; every point the contract
/// marks UNCONFIRMED is a setting here.
public struct SandboxConfiguration: Sendable, Codable, Equatable {
    public struct Account: Sendable, Codable, Equatable {
        public var apiKey: String
        public var name: String
        /// Admin users may read `settings/account`; others get 403 there.
        public var admin: Bool = true
        /// When false, list endpoints answer the permission 403 (`errors[]` body).
        public var canViewLists: Bool = true

        public init(apiKey: String, name: String, admin: Bool = true, canViewLists: Bool = true) {
            self.apiKey = apiKey
            self.name = name
            self.admin = admin
            self.canViewLists = canViewLists
        }
    }

    public struct ListSpec: Sendable, Codable, Equatable {
        public var id: Int
        public var name: String
        public init(id: Int, name: String) {
            self.id = id
            self.name = name
        }
    }

    public struct FieldSpec: Sendable, Codable, Equatable {
        public var id: Int
        public var title: String
        public var type: String = "text"
        public init(id: Int, title: String, type: String = "text") {
            self.id = id
            self.title = title
            self.type = type
        }
    }

    public var accounts: [Account] = []
    public var lists: [ListSpec] = [ListSpec(id: 1, name: "Master Contact List")]
    public var fields: [FieldSpec] = []
    /// Every rate-limit window, latency and processing delay is divided by this.
    public var timeScale: Double = 1
    public var requestsPerSecond: Int = 5
    public var importsPerMinuteMulti: Int = 100
    public var importsPerMinuteSingle: Int = 20
    /// The importer's rate-limit rejection: 400 as documented, or 429.
    public var importerLimitStatus: Int = 400
    public var maxContactsPerImport: Int = 250
    public var maxImportBytes: Int = 399_999
    /// `failureReasons[].contact` counts from 0 or 1 (UNCONFIRMED upstream).
    public var failureIndexBase: Int = 0
    /// The bulk-import success key: "success" (probed live) or "Success" (the doc example).
    public var successKey: String = "success"
    /// `contact/sync` on an existing contact: 200 or 201 (UNCONFIRMED upstream).
    public var syncUpdateStatus: Int = 200
    /// `import/info` answers `status: false` for this long after the POST (seconds, before scaling).
    public var importInfoDelay: Double = 1
    /// A queued batch starts this long after it was queued (seconds, before scaling).
    public var importLatency: Double = 2
    /// Contacts processed per second per account (before scaling).
    public var importContactsPerSecond: Double = 500
    /// The plan's contact limit (active contacts); nil = unlimited.
    public var contactLimit: Int?
    /// Accept, validate and count contacts without keeping them (throughput benchmarks).
    public var discard: Bool = false
    public var faults = Faults()

    public struct Faults: Sendable, Codable, Equatable {
        /// Share of requests (0…1) answered with 500, 503 or 504 and an HTML body.
        public var serverErrorRate: Double = 0
        public var serverErrorStatuses: [Int] = [500, 503, 504]
        /// Share of requests answered with an empty-bodied 402.
        public var paymentRequiredRate: Double = 0
        /// The next N requests (per account) answer 429.
        public var burst429: Int = 0
        /// Milliseconds added to every response.
        public var addedLatencyMs: Int = 0
        /// Share of import batches that end `failed` or `interrupted` instead of `completed`.
        public var batchFailureRate: Double = 0
        public var batchFailureStatus: String = "failed"
        public var seed: UInt64 = 42
        /// Emails containing this text make the importer refuse their whole batch ("incorrect format").
        public var refuseEmailsContaining: String?
        /// Emails containing this text end in a completed batch's `failure` list (as on an exclusion list).
        public var failEmailsContaining: String?
        /// A refused batch's reasons name no contact (neither its position nor its email), as some of the importer's
        /// messages do: the client must find the culprit by halving the batch.
        public var refuseWithoutNaming: Bool?

        public init() {}
    }

    public init() {}

    func scaled(_ seconds: Double) -> Double { seconds / max(timeScale, 0.000_001) }
}
