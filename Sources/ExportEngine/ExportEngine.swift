import ActiveCampaign
import Foundation
import Logging
import OutboundCore
import Secrets
import ServiceLifecycle
import Store
import Synchronization

/// The shared export engine: claims runs from the queue with expiring leases and works up to
/// `maxConcurrentRuns` of them at once, interleaving their batches and pacing every ActiveCampaign host it
/// talks to. Runs as a ServiceLifecycle service inside `outbound serve` or alone as `outbound engine`; Web and the
/// CLI talk to it only through the store (enqueue, cancel, confirm) and `EngineCommands`. Once a tick it also starts
/// the system refreshes that are due (`RefreshScheduler`).
public final class ExportEngine: Service, Sendable {
    private let context: EngineContext
    private let scheduler: RefreshScheduler
    private let startedAt: Date
    private let stopping = StopFlag()

    public init(
        database: AppDatabase,
        vault: Vault,
        gateway: ActiveCampaignGateway,
        clock: AppClock,
        configuration: EngineConfiguration = EngineConfiguration(),
        logger: Logger = Logger(label: "outbound.engine"),
        nodeId: String = "engine-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    ) {
        self.startedAt = clock.now
        scheduler = RefreshScheduler(database: database, clock: clock, logger: logger)
        let stopping = self.stopping
        context = EngineContext(
            database: database,
            queue: RunQueue(database: database, owner: nodeId, leaseDuration: configuration.leaseDuration),
            work: RunWork(database: database),
            vault: vault,
            gateway: gateway,
            pacer: DestinationPacer(configuration: configuration),
            clock: clock,
            backoff: Backoff(base: configuration.backoffBase, cap: configuration.backoffCap, seed: configuration.jitterSeed),
            configuration: configuration,
            logger: logger,
            stopping: { stopping.isSet }
        )
    }

    public var nodeId: String { context.queue.owner }

    /// Stops claiming and sending: requests in flight finish and are recorded, then leases are given back.
    public func stop() { stopping.set() }

    // MARK: Service

    /// Works the queue until graceful shutdown (SIGTERM, Ctrl-C): then no new claims, and the runs in progress
    /// give their leases back within `shutdownGrace`.
    public func run() async throws {
        context.logger.info("Export engine started", metadata: ["node": "\(nodeId)"])
        try? await context.queue.beat(now: context.clock.now, startedAt: startedAt)
        await withGracefulShutdownHandler {
            await work(untilIdle: false)
        } onGracefulShutdown: { [self] in
            stop()
        }
        try? await context.queue.beat(now: context.clock.now, startedAt: startedAt, stopped: true)
        context.logger.info("Export engine stopped", metadata: ["node": "\(nodeId)"])
    }

    /// Works every runnable run to its end, then returns (tests, and `exports run --wait` without an engine).
    /// With `only`, works that run alone and leaves the rest of the queue to the engine service.
    public func runUntilIdle(only runId: Int64? = nil) async {
        await work(untilIdle: true, only: runId)
    }

    private enum Event: Sendable {
        case finished(Int64)
        case tick
        case refreshed
        case graceOver
    }

    private func work(untilIdle: Bool, only: Int64? = nil) async {
        await withTaskGroup(of: Event.self) { group in
            var active: Set<Int64> = []
            var ticking = false
            var refreshing = false
            var lastBeat = context.clock.now
            while !stopping.isSet && !Task.isCancelled {
                while active.count < context.configuration.maxConcurrentRuns {
                    // One slot is always left to other workspaces, so a small export is never stuck behind big ones.
                    let perTenant = max(1, context.configuration.maxConcurrentRuns - 1)
                    guard
                        let run = try? await context.queue.claimNext(
                            now: context.clock.now,
                            excluding: active,
                            perTenantLimit: perTenant,
                            only: only
                        ),
                        let id = run.id
                    else { break }
                    active.insert(id)
                    let executor = RunExecutor(context: context, runId: id)
                    group.addTask {
                        await executor.execute()
                        return .finished(id)
                    }
                }
                if untilIdle && active.isEmpty { break }
                if !untilIdle && !ticking {
                    ticking = true
                    let clock = context.clock
                    let poll = context.configuration.idlePoll
                    group.addTask {
                        try? await clock.sleep(for: poll)
                        return .tick
                    }
                }
                guard let event = await group.next() else { break }
                switch event {
                case .finished(let id): active.remove(id)
                case .tick, .graceOver:
                    ticking = false
                    // Once a tick, unless the last look is still refreshing: the system refreshes that are due.
                    if !refreshing {
                        refreshing = true
                        group.addTask { [scheduler] in
                            await scheduler.runDue()
                            return .refreshed
                        }
                    }
                case .refreshed: refreshing = false
                }
                if !untilIdle, context.clock.now.timeIntervalSince(lastBeat) >= 10 {
                    lastBeat = context.clock.now
                    try? await context.queue.beat(now: lastBeat, startedAt: startedAt)
                }
            }
            guard !active.isEmpty else {
                group.cancelAll()
                return
            }
            // Shutting down: the runs see the flag before their next request; give them the grace period.
            let grace = context.configuration.shutdownGrace
            group.addTask {
                try? await Task.sleep(for: .seconds(grace))
                return .graceOver
            }
            while let event = await group.next() {
                switch event {
                case .finished(let id):
                    active.remove(id)
                    if active.isEmpty { group.cancelAll() }
                case .tick, .refreshed:
                    continue  // the idle timer or the scheduler, not the end of the grace period
                case .graceOver:
                    group.cancelAll()
                }
                if active.isEmpty { break }
            }
            group.cancelAll()
        }
    }
}

/// Set once, when the engine starts shutting down; read before every request.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
