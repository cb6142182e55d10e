import Foundation

/// How the engine runs: limits, pacing and timings. The defaults follow ActiveCampaign's documented limits with
/// headroom for the customer's other integrations (`shared/reference/activecampaign-api.md` §0.6, §2.7).
public struct EngineConfiguration: Sendable {
    /// Distinct profiles an export may hold; a run over it fails before anything is sent.
    public var exportLimit = 1_000_000
    /// Requests per second to one ActiveCampaign account, shared by every run and tenant (its limit is 5).
    public var requestsPerSecond: Double = 4
    /// The bulk importer's own limits per account.
    public var importsPerMinute = 100
    public var singleContactImportsPerMinute = 20
    /// Speeds pacing up (and shortens waits) only for hosts the operator allowed (the sandbox). 1 for real accounts.
    public var paceScale: Double = 1
    /// Runs worked on at once by one engine process; they interleave batch by batch.
    public var maxConcurrentRuns = 8
    /// Batches a run may have sent and not yet confirmed.
    public var batchesInFlight = 8
    public var leaseDuration: TimeInterval = 60
    /// How often an idle engine looks for new runs.
    public var idlePoll: TimeInterval = 1
    /// A run that has not finished after this long fails (waits on throttling included).
    public var runDeadline: TimeInterval = 24 * 3600
    /// Transient failures (5xx, timeouts) in a row on one request before the run fails.
    public var maxTransientAttempts = 8
    public var backoffBase: TimeInterval = 1
    public var backoffCap: TimeInterval = 60
    /// Times one batch is posted again after ActiveCampaign failed it before its contacts are rejected.
    public var maxBatchPosts = 5
    /// First look at a batch's outcome after posting it.
    public var firstPollDelay: TimeInterval = 3
    /// Next look after ActiveCampaign said the batch is not done yet, growing by half each time up to
    /// `maxPollDelay`: a batch still queued or processing at the first look is usually done within seconds, and a
    /// run's last batch waited out a longer back-off with nothing else to send.
    public var repollDelay: TimeInterval = 1
    public var maxPollDelay: TimeInterval = 30
    /// A batch ActiveCampaign still does not know this long after it was posted is posted again.
    public var batchForgottenAfter: TimeInterval = 600
    /// Accepted contacts recorded in the export's ledger at once, in email order (the rest when the run ends).
    /// SQLite sorts them (bounded memory); each merge rewrites the ledger pages it touches, so fewer, larger
    /// merges cost less (a million contacts at 25,000 a merge rewrote the ledger 38 times).
    public var ledgerMergeContacts = 250_000
    /// The list is checked again after this many confirmed batches (a list deleted mid-run fails the run).
    public var listCheckEvery = 25
    /// How long a shutdown waits for requests in flight before leaving their leases to expire.
    public var shutdownGrace: TimeInterval = 25
    /// Where the importer's `failureReasons[].contact` positions start (the contract leaves 0 or 1 unconfirmed).
    public var failureIndexBase = 0
    /// Seed of the backoff jitter (tests); nil draws from the system.
    public var jitterSeed: UInt64?

    public init() {}
}
