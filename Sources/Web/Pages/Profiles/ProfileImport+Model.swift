import OutboundCore
import Store

/// The page model of Templates/profiles/import.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension ProfilesController {
    struct ImportPage {
        struct ProblemRow {
            var line: Int
            var problem: String
        }
        var chrome: Chrome
        var running: Bool
        var fileName: String
        var status: String
        var failed: Bool
        var rowsRead: String
        var rowsImported: String
        var rowsRejected: String
        var rowsRemoved: String?
        /// "3 imported profiles have no usable email…", when some do.
        var withoutEmail: String?
        var message: String?
        var problems: [ProblemRow]
        var hasProblems: Bool
        var moreProblems: String?
        var backHref: String
        var chooseColumns: [String]
        var waitsForIdColumn: Bool
        var retryAction: String
        var csrf: String
    }
}

extension ProfilesController.ImportPage {
    /// Built from store reads; the controller and the tests call it.
    static func build(_ job: ImportJob, slug: String, policy: Policy, csrf: String, chrome: Chrome) -> Self {
        let problems = job.problemList
        return Self(
            chrome: chrome,
            running: job.status == .running,
            fileName: job.fileName,
            status: ProfilesController.statusLabel(job),
            failed: job.status == .failed && job.pendingFile == nil,
            rowsRead: job.rowsRead.formatted(),
            rowsImported: job.rowsImported.formatted(),
            rowsRejected: job.rowsRejected.formatted(),
            rowsRemoved: job.replaceAll ? job.rowsRemoved.formatted() : nil,
            withoutEmail: ProfilesController.withoutEmail(job),
            message: job.message,
            problems: problems.map { .init(line: $0.line, problem: $0.problem) },
            hasProblems: !problems.isEmpty,
            moreProblems: job.rowsRejected > problems.count
                ? "and \((job.rowsRejected - problems.count).formatted()) more rejected rows" : nil,
            backHref: TenantRoute.profiles.path(slug),
            chooseColumns: job.columnList,
            waitsForIdColumn: job.pendingFile != nil && policy.can(.changeData),
            retryAction: TenantRoute.retryImport.path(slug, job.id!),
            csrf: csrf
        )
    }
}
