import OutboundCore
import Foundation
import Hummingbird
import MultipartKit
import ProfileImport
import Secrets
import Store

/// Data > Profiles: import (web upload, streamed to disk and parsed on a dedicated thread as a job), browse with
/// paging and search, and delete all. Admins and contributors change data; viewers read.
struct ProfilesController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get("profiles", use: page)
        group.post("profiles/import", use: upload)
        group.get("profiles/imports/:id", use: importPage)
        group.post("profiles/imports/:id/retry", use: retry)
        group.get("profiles/delete", use: deleteAllPage)
        group.post("profiles/delete", use: deleteAll)
    }

    struct ProfilesPage {
        struct Cell { var value: String }
        struct Row { var profileId: String; var cells: [Cell] }
        struct Heading { var name: String; var type: String }
        struct ImportRow { var href: String; var fileName: String; var status: String; var started: String; var counts: String }
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

    static let pageSize = 50
    static let shownAttributes = 8

    @Sendable func page(request: Request, context: TenantContext) async throws -> Response {
        let slug = context.access.tenant.slug
        let search = String((request.formQuery.get("q") ?? "").prefix(200))
        let after = request.formQuery.get("after", as: Int64.self) ?? 0
        let attributes = try await services.database.attributes(tenantId: context.tenantId)
        let shown = Array(attributes.prefix(Self.shownAttributes))
        let rows = try await services.database.profiles(tenantId: context.tenantId, afterRowId: after, limit: Self.pageSize + 1,
                                                        search: search.isEmpty ? nil : search)
        let count = try await services.database.profileCount(tenantId: context.tenantId)
        let imports = try await services.database.recentImports(tenantId: context.tenantId)
        let base = SitePath.profiles(slug)
        let query = search.isEmpty ? "" : "q=\(search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&"
        let notice: String? = request.formQuery.get("done") == "deleted" ? "All profiles were deleted." : nil
        return try services.views.page("profiles/index", ProfilesPage(
            chrome: try await services.chrome("Profiles", section: "Profiles", context),
            count: count.formatted(), canEdit: context.access.role != .viewer,
            importAction: base + "/import",
            maxUploadText: ByteCountFormatter.string(fromByteCount: Int64(services.configuration.maxImportBytes), countStyle: .file),
            headings: shown.map { .init(name: $0.name, type: $0.type.rawValue) },
            rows: rows.prefix(Self.pageSize).map { row in
                .init(profileId: row.profileId, cells: shown.map { .init(value: row.values[$0.id!] ?? "") })
            },
            hasRows: !rows.isEmpty, search: search,
            nextHref: rows.count > Self.pageSize ? "\(base)?\(query)after=\(rows[Self.pageSize - 1].rowId)" : nil,
            firstHref: after > 0 ? "\(base)?\(query)" : nil,
            imports: imports.map {
                .init(href: "\(base)/imports/\($0.id!)", fileName: $0.fileName, status: Self.statusLabel($0.status),
                      started: Format.dateTime($0.startedAt),
                      counts: "\($0.rowsImported.formatted()) imported, \($0.rowsRejected.formatted()) rejected")
            },
            hasImports: !imports.isEmpty, deleteHref: base + "/delete", notice: notice))
    }

    static func statusLabel(_ status: ImportJob.Status) -> String {
        switch status {
        case .running: "Importing"
        case .succeeded: "Imported"
        case .completedWithErrors: "Imported with rejected rows"
        case .failed: "Failed"
        }
    }

    // MARK: Upload

    /// State of one streamed multipart upload.
    final class Upload {
        var partName: String?
        var fileName: String?
        var fields: [String: String] = [:]
        var fieldText = ""
        var fileBytes = 0
        var tooLarge = false
        var sawFile = false
        /// Parts seen so far: the form sends a handful, so many more is not our form and is refused early.
        var parts = 0
        var tooManyParts = false
        static let maxParts = 16
        /// The form's first part must be `_csrf` with the session's token; nothing else is read before it matches.
        var csrfText = ""
        var csrfChecked = false
        var forged = false
        /// Only the form's own fields are kept (bounded in number and size); other parts are read and dropped.
        static let keptFields: Set<String> = ["idColumn", "replaceAll", "confirmRemoval"]
        let handle: FileHandle
        let path: String

        init(path: String) throws {
            self.path = path
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw HTTPError(.internalServerError, message: "The upload could not be stored.")
            }
            self.handle = handle
        }
    }

    @Sendable func upload(request: Request, context: TenantContext) async throws -> Response {
        guard context.access.role != .viewer else { throw HTTPError(.forbidden, message: "Viewers cannot import profiles.") }
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
              let boundaryRange = contentType.range(of: "boundary=") else {
            throw HTTPError(.badRequest, message: "Choose a CSV file to import.")
        }
        let boundary = contentType[boundaryRange.upperBound...].split(separator: ";")[0].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let path = services.uploads.newFile()
        let upload = try Upload(path: path)
        let limit = services.configuration.maxImportBytes
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in
            guard name.lowercased() == "content-disposition" else { return }
            upload.partName = Self.dispositionParameter("name", in: value)
            if upload.partName == "file" { upload.fileName = Self.dispositionParameter("filename", in: value) }
        }
        let expectedToken = context.signedIn.session.csrfToken
        parser.onBody = { buffer in
            if !upload.csrfChecked {
                // The token travels in the body's first part, never in the URL (access logs and history keep URLs).
                if upload.partName == "_csrf", upload.csrfText.utf8.count < 256 { upload.csrfText += String(buffer: buffer) } else { upload.forged = true }
                return
            }
            if upload.partName == "file" {
                upload.sawFile = true
                upload.fileBytes += buffer.readableBytes
                if upload.fileBytes > limit { upload.tooLarge = true; return }
                upload.handle.write(Data(buffer.readableBytesView))
            } else if let name = upload.partName, Upload.keptFields.contains(name), upload.fieldText.utf8.count < 1_000 {
                upload.fieldText += String(buffer: buffer)
            }
        }
        parser.onPartComplete = {
            if !upload.csrfChecked {
                if upload.partName == "_csrf", ConstantTime.equals(Array(upload.csrfText.utf8), Array(expectedToken.utf8)) {
                    upload.csrfChecked = true
                } else {
                    upload.forged = true
                }
            }
            upload.parts += 1
            if upload.parts > Upload.maxParts { upload.tooManyParts = true }
            if let name = upload.partName, Upload.keptFields.contains(name) { upload.fields[name] = upload.fieldText }
            upload.partName = nil
            upload.fieldText = ""
        }
        do {
            for try await chunk in request.body {
                try parser.execute(chunk)
                if upload.tooLarge || upload.tooManyParts || upload.forged { break }
            }
        } catch {
            try? upload.handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.badRequest, message: "The upload could not be read. Choose the file again.")
        }
        try? upload.handle.close()
        guard upload.csrfChecked, !upload.forged else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.forbidden, message: "This form has expired. Reload the page and try again.")
        }
        guard !upload.tooManyParts else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.badRequest, message: "The upload has more parts than the import form sends. Choose the file again.")
        }
        guard !upload.tooLarge else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.contentTooLarge, message: "The file is larger than the \(ByteCountFormatter.string(fromByteCount: Int64(limit), countStyle: .file)) Outbound accepts.")
        }
        guard upload.sawFile, upload.fileBytes > 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.badRequest, message: "Choose a CSV file to import; the one sent was empty.")
        }
        let idColumn = upload.fields["idColumn"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        let replaceAll = upload.fields["replaceAll"] == "yes"
        if replaceAll {
            // Replacing all is confirmed by typing how many profiles there are now: the most it can remove.
            let count = try await services.database.profileCount(tenantId: context.tenantId)
            let typed = (upload.fields["confirmRemoval"] ?? "").filter { $0.isNumber }
            guard Int(typed) == count else {
                try? FileManager.default.removeItem(atPath: path)
                throw HTTPError(.badRequest, message: "\"Replace all\" removes every profile that is not in the file: up to \(count.formatted()) profiles. To confirm, type \(count) in the box under it and import again.")
            }
        }
        let fileName = String((upload.fileName ?? "upload.csv").prefix(200))
        let job: ImportJob
        do {
            job = try await services.database.startImport(tenantId: context.tenantId, fileName: fileName, replaceAll: replaceAll,
                                                          userId: context.signedIn.userId, now: services.clock.now)
        } catch {
            try? FileManager.default.removeItem(atPath: path)   // a job that never started holds no file
            throw error
        }
        startJob(job, file: path, options: ImportOptions(idColumn: idColumn?.isEmpty == false ? idColumn : nil, replaceAll: replaceAll),
                 context: context)
        return .seeOther(SitePath.profiles(context.access.tenant.slug) + "/imports/\(job.id!)")
    }

    /// Runs an import job on the import thread; it outlives the request, and its page shows progress. A file
    /// without a recognisable id column is kept, and the job page asks which column holds the id.
    private func startJob(_ job: ImportJob, file path: String, options: ImportOptions, context: TenantContext) {
        let importer = ProfileImporter(database: services.database, tenantId: context.tenantId, options: options)
        let database = services.database
        let pool = services.importPool
        let actor = context.actor
        let tenantId = context.tenantId
        Task.detached {
            try? await database.recordUploadFile(jobId: job.id!, path: path)
            var finished: ImportJob?
            do {
                finished = try await pool.run { try importer.run(file: path, job: job) }
            } catch {
                var failed = job
                failed.status = .failed
                failed.finishedAt = Date()
                failed.message = error is BlockingPool.Busy ? "Too many imports are waiting; import the file again later."
                    : "The import stopped because of an internal error. Rows imported before it are kept."
                try? database.updateImport(failed)
            }
            if var waiting = finished, waiting.status == .failed, waiting.columns != nil {
                waiting.pendingFile = path
                try? database.updateImport(waiting)
                return
            }
            try? FileManager.default.removeItem(atPath: path)
            try? await database.recordUploadFile(jobId: job.id!, path: nil)
            if let finished {
                let removed = finished.replaceAll ? ", replace all removed \(finished.rowsRemoved) profiles" : ""
                try? await database.recordActivity(tenantId: tenantId, actor: actor, action: "profiles.imported",
                                                   detail: "Imported \(finished.fileName): \(finished.rowsImported) rows, \(finished.rowsRejected) rejected\(removed)")
            }
        }
    }

    struct RetryForm: Decodable { var idColumn: String? }

    /// The id column chosen on the job page: a new job imports the kept file with it.
    @Sendable func retry(request: Request, context: TenantContext) async throws -> Response {
        guard context.access.role != .viewer else { throw HTTPError(.forbidden, message: "Viewers cannot import profiles.") }
        guard let id = context.parameters.get("id", as: Int64.self),
              let waiting = try await services.database.importJob(tenantId: context.tenantId, id: id) else { throw HTTPError(.notFound) }
        let form = try await Web.Form.decode(RetryForm.self, from: request, limit: services.configuration.maxFormBytes)
        guard let column = form.idColumn, waiting.columnList.contains(column) else {
            throw HTTPError(.badRequest, message: "Choose one of the file's columns as the id column.")
        }
        guard let path = try await services.database.takePendingFile(tenantId: context.tenantId, jobId: id),
              FileManager.default.fileExists(atPath: path) else {
            throw HTTPError(.badRequest, message: "The uploaded file is no longer kept (after an hour, or once used). Upload it again.")
        }
        let job = try await services.database.startImport(tenantId: context.tenantId, fileName: waiting.fileName,
                                                          replaceAll: waiting.replaceAll, userId: context.signedIn.userId,
                                                          now: services.clock.now)
        startJob(job, file: path, options: ImportOptions(idColumn: column, replaceAll: waiting.replaceAll), context: context)
        return .seeOther(SitePath.profiles(context.access.tenant.slug) + "/imports/\(job.id!)")
    }

    static func dispositionParameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix(name + "=") else { continue }
            return String(pair.dropFirst(name.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    // MARK: Job page

    struct ImportPage {
        struct ProblemRow { var line: Int; var problem: String }
        var chrome: Chrome
        var running: Bool
        var fileName: String
        var status: String
        var failed: Bool
        var rowsRead: String
        var rowsImported: String
        var rowsRejected: String
        var rowsRemoved: String?
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

    @Sendable func importPage(request: Request, context: TenantContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self),
              let job = try await services.database.importJob(tenantId: context.tenantId, id: id) else { throw HTTPError(.notFound) }
        let problems = job.problemList
        return try services.views.page("profiles/import", ImportPage(
            chrome: try await services.chrome("Import \(job.fileName)", section: "Profiles", context),
            running: job.status == .running, fileName: job.fileName, status: Self.statusLabel(job.status), failed: job.status == .failed,
            rowsRead: job.rowsRead.formatted(), rowsImported: job.rowsImported.formatted(), rowsRejected: job.rowsRejected.formatted(),
            rowsRemoved: job.replaceAll ? job.rowsRemoved.formatted() : nil, message: job.message,
            problems: problems.map { .init(line: $0.line, problem: $0.problem) }, hasProblems: !problems.isEmpty,
            moreProblems: job.rowsRejected > problems.count ? "and \((job.rowsRejected - problems.count).formatted()) more rejected rows" : nil,
            backHref: SitePath.profiles(context.access.tenant.slug),
            chooseColumns: job.columnList, waitsForIdColumn: job.pendingFile != nil && context.access.role != .viewer,
            retryAction: SitePath.profiles(context.access.tenant.slug) + "/imports/\(job.id!)/retry",
            csrf: context.signedIn.session.csrfToken))
    }

    // MARK: Delete all

    struct DeletePage { var chrome: Chrome; var count: String; var action: String; var cancelHref: String }

    @Sendable func deleteAllPage(request: Request, context: TenantContext) async throws -> Response {
        guard context.access.role != .viewer else { throw HTTPError(.forbidden, message: "Viewers cannot delete profiles.") }
        return try services.views.page("profiles/delete", DeletePage(
            chrome: try await services.chrome("Delete all profiles", section: "Profiles", context),
            count: try await services.database.profileCount(tenantId: context.tenantId).formatted(),
            action: SitePath.profiles(context.access.tenant.slug) + "/delete", cancelHref: SitePath.profiles(context.access.tenant.slug)))
    }

    struct DeleteForm: Decodable { var confirm: String? }

    @Sendable func deleteAll(request: Request, context: TenantContext) async throws -> Response {
        guard context.access.role != .viewer else { throw HTTPError(.forbidden, message: "Viewers cannot delete profiles.") }
        let form = try await Web.Form.decode(DeleteForm.self, from: request, limit: services.configuration.maxFormBytes)
        guard form.confirm == "delete" else { throw HTTPError(.badRequest, message: "Tick the box to confirm that every profile is deleted.") }
        _ = try await services.database.deleteAllProfiles(tenantId: context.tenantId, actor: context.actor)
        return .seeOther(SitePath.profiles(context.access.tenant.slug) + "?done=deleted")
    }
}
