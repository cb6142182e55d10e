import Foundation
import OutboundCore
import Store

/// The page model of Templates/profiles/index.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ProfilesController {
    struct ProfilesPage {
        struct Cell { var value: String }
        struct Row {
            var profileId: String
            var cells: [Cell]
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
        var headings: [Heading]
        var rows: [Row]
        var hasRows: Bool
        var search: String
        var nextHref: String?
        var firstHref: String?
        var imports: [ImportRow]
        var hasImports: Bool
        var deleteHref: String
        var notice: String?
    }
}

extension ProfilesController.ProfilesPage {
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
        notice: String?
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
            maxUploadText: ByteCountFormatter.string(fromByteCount: Int64(maxImportBytes), countStyle: .file),
            headings: shown.map { .init(name: $0.name, type: $0.type.rawValue) },
            rows: rows.prefix(pageSize).map { row in
                .init(profileId: row.profileId, cells: shown.map { .init(value: row.values[$0.id!] ?? "") })
            },
            hasRows: !rows.isEmpty,
            search: search,
            nextHref: rows.count > pageSize
                ? TenantRoute.profiles.path(slug, query: ["q": q, "after": String(rows[pageSize - 1].rowId)]) : nil,
            firstHref: after > 0 ? TenantRoute.profiles.path(slug, query: ["q": q]) : nil,
            imports: reads.imports.map {
                .init(
                    href: TenantRoute.importJob.path(slug, $0.id!),
                    fileName: $0.fileName,
                    status: ProfilesController.statusLabel($0.status),
                    started: Format.dateTime($0.startedAt),
                    counts: "\($0.rowsImported.formatted()) imported, \($0.rowsRejected.formatted()) rejected"
                )
            },
            hasImports: !reads.imports.isEmpty,
            deleteHref: TenantRoute.deleteProfiles.path(slug),
            notice: notice
        )
    }
}
