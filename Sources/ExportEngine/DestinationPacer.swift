import Foundation

/// What a request counts against: every request counts against the account's request rate; bulk imports also
/// against the importer's per-minute limits (one for single-contact imports, one for the others).
public enum RequestKind: Sendable, Equatable {
    case standard
    case bulkImport(singleContact: Bool)
}

/// One pacer per ActiveCampaign account host, shared by every run and tenant of this process. Requests are
/// spaced to the configured rate; imports are kept within a sliding minute. Grants are first come, first served,
/// so runs to one host interleave request by request. A 429 pauses the whole host.
actor DestinationPacer {
    private struct HostState {
        var nextRequest = Date.distantPast
        var pausedUntil = Date.distantPast
        var importsPausedUntil = Date.distantPast
        var imports: [Date] = []
        var singleImports: [Date] = []
    }

    private var hosts: [String: HostState] = [:]
    private let configuration: EngineConfiguration

    init(configuration: EngineConfiguration) { self.configuration = configuration }

    enum Decision: Equatable {
        /// Send now: the slot is taken.
        case sendNow
        /// Not yet: ask again at this time (nothing is held meanwhile, so a slot is never granted for a time that
        /// has passed by the time its holder wakes up).
        case askAgainAt(Date)
    }

    func reserve(host: String, kind: RequestKind, now: Date, scale: Double) -> Decision {
        var state = hosts[host] ?? HostState()
        defer { hosts[host] = state }
        var earliest = max(state.nextRequest, state.pausedUntil)
        if case .bulkImport(let single) = kind {
            earliest = max(earliest, state.importsPausedUntil)
            let limit = single ? configuration.singleContactImportsPerMinute : configuration.importsPerMinute
            // A 1% margin over the minute keeps clock differences with ActiveCampaign from costing a rejection.
            let window = 60.6 / scale
            let recent = single ? state.singleImports : state.imports
            if recent.count >= limit { earliest = max(earliest, recent[recent.count - limit].addingTimeInterval(window)) }
        }
        guard earliest <= now else { return .askAgainAt(earliest) }
        if case .bulkImport(let single) = kind {
            let limit = single ? configuration.singleContactImportsPerMinute : configuration.importsPerMinute
            if single {
                state.singleImports = Array((state.singleImports + [now]).suffix(limit))
            } else {
                state.imports = Array((state.imports + [now]).suffix(limit))
            }
        }
        state.nextRequest = now.addingTimeInterval(1 / (configuration.requestsPerSecond * scale))
        return .sendNow
    }

    /// ActiveCampaign said 429/503: nobody sends to this host before `until`.
    func pause(host: String, until: Date) {
        hosts[host, default: HostState()].pausedUntil = max(hosts[host]?.pausedUntil ?? .distantPast, until)
    }

    /// The importer said "Rate limit exceeded": no import to this host before `until`.
    func pauseImports(host: String, until: Date) {
        hosts[host, default: HostState()].importsPausedUntil = max(hosts[host]?.importsPausedUntil ?? .distantPast, until)
    }
}
