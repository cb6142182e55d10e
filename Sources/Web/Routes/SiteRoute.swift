import Foundation
import Hummingbird

/// Every route outside a workspace. The router registers `pattern`; links and form actions use `path`, so a
/// route and its links cannot drift apart (after SwiftPackageIndex-Server's `SiteURL`).
public enum SiteRoute: String, CaseIterable, Sendable {
    case home = ""
    case login = "login"
    case logout = "logout"
    case account = "account"
    case accountPassword = "account/password"
    case accountEndOtherSessions = "account/sessions/end-others"
    /// Accept or decline an invitation to a workspace (the form names which).
    case invitations = "invitations"
    case health = "healthz"

    var pattern: RouterPath { RouterPath(rawValue.isEmpty ? "/" : rawValue) }
    public var path: String { "/" + rawValue }

    func path(query: KeyValuePairs<String, String?>) -> String { LinkQuery.append(query, to: path) }
}

/// A query string for a link; nil values are left out and values are percent-encoded.
enum LinkQuery {
    static func append(_ query: KeyValuePairs<String, String?>, to path: String) -> String {
        let items = query.compactMap { key, value in value.map { "\(key)=\(encode($0))" } }
        return items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

/// Every route under `/t/{tenant}`, with the policy rule each method needs. The router registers `pattern`
/// (relative to `t/:tenant`); links call `path(slug, ids…)`.
public enum TenantRoute: String, CaseIterable, Sendable {
    case root = ""
    case connections = "admin/connections"
    case newConnection = "admin/connections/new"
    case connection = "admin/connections/:id"
    case removeConnection = "admin/connections/:id/remove"
    case members = "admin/members"
    case memberRole = "admin/members/:userId/role"
    case memberRemove = "admin/members/:userId/remove"
    case memberResetPassword = "admin/members/:userId/reset-password"
    case memberInvitationWithdraw = "admin/members/invitations/:id/withdraw"
    case system = "admin/system"
    case systemRefresh = "admin/system/refresh"
    case activity = "admin/activity"
    case profiles = "data/profiles"
    case importProfiles = "data/profiles/import"
    case importJob = "data/profiles/imports/:id"
    case retryImport = "data/profiles/imports/:id/retry"
    case deleteProfiles = "data/profiles/delete"
    /// Admins: remove every trace of one email from the workspace (a person's request to be forgotten).
    case forgetPerson = "data/profiles/forget"
    case profile = "data/profiles/:id"
    case deleteProfile = "data/profiles/:id/delete"
    case segments = "data/segments"
    case newSegment = "data/segments/new"
    case segment = "data/segments/:id"
    case deleteSegment = "data/segments/:id/delete"
    case exports = "data/exports"
    case newExport = "data/exports/new"
    case runAllExports = "data/exports/run-all"
    case export = "data/exports/:id"
    case runExport = "data/exports/:id/run"
    case exportRun = "data/exports/:id/runs/:run"
    case removeExport = "data/exports/:id/remove"
    case duplicateExport = "data/exports/:id/duplicate"
    case previewExport = "data/exports/:id/preview"
    case cancelExportRun = "data/exports/:id/runs/:run/cancel"
    case confirmExportRun = "data/exports/:id/runs/:run/confirm"
    case exportRunInvalidCSV = "data/exports/:id/runs/:run/invalid.csv"
    case exportRunRejectedCSV = "data/exports/:id/runs/:run/rejected.csv"
    /// Only in demo mode: what the in-process ActiveCampaign sandbox received.
    case demoActiveCampaign = "demo/activecampaign"

    var pattern: RouterPath { RouterPath(rawValue) }

    /// The path with the tenant and, in order, each `:placeholder` filled: `connection.path("acme", 3)`.
    public func path(_ slug: String, _ ids: Int64...) -> String {
        fill(slug, ids)
    }

    /// `path` with a query; nil values are left out and values are percent-encoded.
    func path(_ slug: String, _ ids: Int64..., query: KeyValuePairs<String, String?>) -> String {
        LinkQuery.append(query, to: fill(slug, ids))
    }

    private func fill(_ slug: String, _ ids: [Int64]) -> String {
        // One pass over the pattern (a page of profiles fills fifty links; splitting and joining was 4% of its CPU).
        var path = "/t/" + slug
        path.reserveCapacity(path.utf8.count + rawValue.utf8.count + 16)
        var ids = ids.makeIterator()
        for part in rawValue.utf8.split(separator: UInt8(ascii: "/")) {
            path += "/"
            if part.first == UInt8(ascii: ":") {
                path += String(ids.next() ?? 0)
            } else {
                path += Substring(part)
            }
        }
        return path
    }

    /// What the signed-in member must be allowed to do for `method` here. Changing an export's settings or running
    /// it also depends on its connection, checked again by the handler with the export at hand.
    func action(for method: HTTPRequest.Method) -> Policy.Action {
        let reading = method == .get || method == .head
        switch self {
        case .connections, .newConnection, .connection, .removeConnection, .members, .memberRole, .memberRemove,
            .memberResetPassword, .memberInvitationWithdraw, .system, .systemRefresh, .activity, .forgetPerson:
            return .administer
        case .root, .profiles, .profile, .importJob, .segments, .segment, .exports, .export, .exportRun, .exportRunInvalidCSV,
            .exportRunRejectedCSV, .demoActiveCampaign:
            return reading ? .viewData : .changeData
        case .importProfiles, .retryImport, .deleteProfiles, .deleteProfile, .newSegment, .deleteSegment:
            return .changeData
        case .newExport, .duplicateExport, .previewExport:
            return .editExport(connection: nil)
        case .runAllExports, .runExport, .cancelExportRun, .confirmExportRun:
            return .runExport(connection: nil)
        case .removeExport:
            return .removeExport(connection: nil)
        }
    }
}

extension RouterMethods {
    @discardableResult func get(
        _ route: TenantRoute,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        get(route.pattern, use: handler)
    }

    @discardableResult func post(
        _ route: TenantRoute,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        post(route.pattern, use: handler)
    }

    @discardableResult func get(
        _ route: SiteRoute,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        get(route.pattern, use: handler)
    }

    @discardableResult func post(
        _ route: SiteRoute,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        post(route.pattern, use: handler)
    }
}
