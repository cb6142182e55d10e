/// Every link and redirect target, in one place, so that a route and its links cannot drift apart.
enum SitePath {
    static let home = "/"
    static let login = "/login"
    static let logout = "/logout"
    static let account = "/account"
    static let accountPassword = "/account/password"
    static let accountEndOtherSessions = "/account/sessions/end-others"
    static let health = "/healthz"

    static func tenant(_ slug: String) -> String { "/t/\(slug)" }
    static func connections(_ slug: String) -> String { "/t/\(slug)/admin/connections" }
    static func newConnection(_ slug: String) -> String { "/t/\(slug)/admin/connections/new" }
    static func connection(_ slug: String, _ id: Int64) -> String { "/t/\(slug)/admin/connections/\(id)" }
    static func removeConnection(_ slug: String, _ id: Int64) -> String { "/t/\(slug)/admin/connections/\(id)/remove" }
    static func members(_ slug: String) -> String { "/t/\(slug)/admin/members" }
    static func memberRole(_ slug: String, _ userId: Int64) -> String { "/t/\(slug)/admin/members/\(userId)/role" }
    static func memberRemove(_ slug: String, _ userId: Int64) -> String { "/t/\(slug)/admin/members/\(userId)/remove" }
    static func system(_ slug: String) -> String { "/t/\(slug)/admin/system" }
    static func activity(_ slug: String, page: Int = 1) -> String {
        page <= 1 ? "/t/\(slug)/admin/activity" : "/t/\(slug)/admin/activity?page=\(page)"
    }
    static func profiles(_ slug: String) -> String { "/t/\(slug)/data/profiles" }
    static func segments(_ slug: String) -> String { "/t/\(slug)/data/segments" }
    static func exports(_ slug: String) -> String { "/t/\(slug)/data/exports" }
}
