import Foundation
import OutboundCore
import Store

/// The page model of Templates/profiles/index.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ProfilesController {
    struct ProfilesPage {
        struct Row {
            var profileId: String
            /// The profile's own page: every attribute, whole values, and Delete.
            var href: String
            /// The shown attributes' values, which the template reads as `{{.}}`: a name looked up through the
            /// context stack cost about a microsecond, twice for each of the page's 400 cells.
            var cells: [String]
        }
        struct Heading {
            var name: String
            var type: String
        }
        struct ImportRow {
            var href: String
            var fileName: String
            var status: String
            var started: String
            var counts: String
        }
        var chrome: Chrome
        var count: String
        var canEdit: Bool
        var importAction: String
        var maxUploadText: String
        var headings: HTMLRows<Heading>
        /// Attributes not in the table (it fits a 1280 px window); each profile's page shows them all.
        var hiddenColumns: String?
        var rows: HTMLRows<Row>
        var hasRows: Bool
        /// Said instead of the table: no profiles at all, none matching the search, or none past this page.
        var emptyMessage: String
        var search: String
        var nextHref: String?
        var firstHref: String?
        var imports: HTMLRows<ImportRow>
        var hasImports: Bool
        var deleteHref: String
        /// Administrators only: forget a person at their request.
        var forgetHref: String?
        var notice: String?
        var importError: String?
    }
}

extension ProfilesController.ProfilesPage {
    /// "1 more attribute is", "4 more attributes are".
    static func moreAttributes(_ count: Int) -> String {
        count == 1 ? "1 more attribute is" : "\(count.formatted()) more attributes are"
    }

    /// What the page reads from the store: one page of rows (one more than shown, to know whether a next exists).
    struct Reads {
        var attributes: [Attribute]
        var rows: [ProfileRow]
        var count: Int
        var imports: [ImportJob]
    }

    /// Built from store reads; the controller and the tests call it.
    static func build(
        _ reads: Reads,
        search: String,
        after: Int64,
        slug: String,
        policy: Policy,
        csrf: String,
        maxImportBytes: Int,
        chrome: Chrome,
        notice: String?,
        importError: String? = nil
    ) -> Self {
        let pageSize = ProfilesController.pageSize
        let shown = Array(reads.attributes.prefix(ProfilesController.shownAttributes))
        let rows = reads.rows
        let q = search.isEmpty ? nil : search
        return Self(
            chrome: chrome,
            count: reads.count.formatted(),
            canEdit: policy.can(.changeData),
            importAction: TenantRoute.importProfiles.path(slug),
            maxUploadText: Format.bytes(maxImportBytes),
            headings: HTMLRows(shown.map { .init(name: $0.name, type: $0.type.rawValue) }),
            hiddenColumns: reads.attributes.count > shown.count
                ? "\(Self.moreAttributes(reads.attributes.count - shown.count)) on each profile's page: open a profile by its id." : nil,
            rows: HTMLRows(
                rows.prefix(pageSize).map { row in
                    .init(
                        profileId: row.profileId,
                        href: TenantRoute.profile.path(slug, row.rowId),
                        cells: shown.map { row.values[$0.id!] ?? "" }
                    )
                }
            ),
            hasRows: !rows.isEmpty,
            emptyMessage: q.map { "No profiles match “\($0)”." }
                ?? (reads.count > 0
                    ? "No more profiles."
                    : policy.can(.changeData)
                        ? "No profiles yet. Import a CSV file to add them."
                        : "No profiles yet. Administrators and contributors import them from CSV files."),
            search: search,
            nextHref: rows.count > pageSize
                ? TenantRoute.profiles.path(slug, query: ["q": q, "after": String(rows[pageSize - 1].rowId)]) : nil,
            firstHref: after > 0 ? TenantRoute.profiles.path(slug, query: ["q": q]) : nil,
            imports: HTMLRows(
                reads.imports.map {
                    .init(
                        href: TenantRoute.importJob.path(slug, $0.id!),
                        fileName: $0.fileName,
                        status: ProfilesController.statusLabel($0),
                        started: Format.dateTime($0.startedAt),
                        counts: "\($0.rowsImported.formatted()) imported, \($0.rowsRejected.formatted()) rejected"
                            + ($0.rowsWithoutEmail > 0 ? ", \($0.rowsWithoutEmail.formatted()) without a usable email" : "")
                    )
                }
            ),
            hasImports: !reads.imports.isEmpty,
            deleteHref: TenantRoute.deleteProfiles.path(slug),
            forgetHref: policy.can(.administer) ? TenantRoute.forgetPerson.path(slug) : nil,
            notice: notice,
            importError: importError
        )
    }
}
