import Hummingbird
import Store

/// The one answer to "may this member do this to this thing". Controllers, middleware and template flags ask it;
/// no other code compares roles. The roles table of DESIGN.md, as code.
public struct Policy: Sendable, Equatable {
    public enum Action: Hashable, Sendable {
        /// Admin pages: connections, members, the system schedule, the activity log.
        case administer
        /// Data pages: profiles, segments, exports, their runs and errors.
        case viewData
        /// Import or delete profiles; create, change, refresh or delete segments.
        case changeData
        /// Choose a connection for an export.
        case useConnection(ConnectionUsers)
        /// Create or change an export on a connection (nil: no connection chosen, or detached).
        case editExport(connection: ConnectionUsers?)
        case runExport(connection: ConnectionUsers?)
        case removeExport(connection: ConnectionUsers?)
    }

    public let role: Role

    public init(role: Role) { self.role = role }

    public func can(_ action: Action) -> Bool {
        switch action {
        case .administer:
            role == .admin
        case .viewData:
            true
        case .changeData:
            role != .viewer
        case .useConnection(let usableBy):
            role == .admin || role == .contributor && usableBy == .contributors
        case .editExport(let connection), .runExport(let connection), .removeExport(let connection):
            // Managing an export is changing data, and on a connection the member may use.
            can(.changeData) && connection.map { can(.useConnection($0)) } ?? true
        }
    }

    /// Throws 403 with `message` unless the member may do `action`.
    public func require(_ action: Action, _ message: String) throws {
        guard can(action) else { throw HTTPError(.forbidden, message: message) }
    }
}
