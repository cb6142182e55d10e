import Foundation
import Hummingbird
import MultipartKit
import OutboundCore
import ProfileImport
import Secrets
import Store

/// Data > Profiles: import (web upload, streamed to disk and parsed on a dedicated thread as a job), browse with
/// paging and search, and delete all. Admins and contributors change data; viewers read.
struct ProfilesController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.profiles, use: page)
        group.post(.importProfiles, use: upload)
        group.get(.importJob, use: importPage)
        group.post(.retryImport, use: retry)
        group.get(.deleteProfiles, use: deleteAllPage)
        group.post(.deleteProfiles, use: deleteAll)
    }

    static let pageSize = 50
    static let shownAttributes = 8

    @Sendable func page(request: Request, context: TenantContext) async throws -> Response {
        try await render(request, context)
    }

    /// The Profiles page; `importError` explains, next to the import form, why an upload was not imported.
    private func render(
        _ request: Request,
        _ context: TenantContext,
        importError: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let slug = context.access.tenant.slug
        let notice: String? =
            switch request.formQuery.get("done") {
            case "deleted": "All profiles were deleted."
            case "deletedOne": "The profile was deleted."
            default: nil
            }
        let search = String((request.formQuery.get("q") ?? "").prefix(200))
        let after = request.formQuery.get("after", as: Int64.self) ?? 0
        let read = try await services.database.profilesPage(
            tenantId: context.tenantId,
            afterRowId: after,
            limit: Self.pageSize + 1,
            search: search.isEmpty ? nil : search
        )
        let reads = ProfilesPage.Reads(attributes: read.attributes, rows: read.rows, count: read.count, imports: read.imports)
        return try services.views.page(
            "profiles/index",
            ProfilesPage.build(
                reads,
                search: search,
                after: after,
                slug: slug,
                policy: context.policy,
                csrf: context.signedIn.session.csrfToken,
                maxImportBytes: services.configuration.maxImportBytes,
                chrome: try await services.chrome("Profiles", section: "Profiles", context),
                notice: notice,
                importError: importError
            ),
            status: status
        )
    }

    /// How many of a job's profiles cannot be exported for want of an email, or nil when all can.
    static func withoutEmail(_ job: ImportJob) -> String? {
        guard job.rowsWithoutEmail > 0 else { return nil }
        let count = job.rowsWithoutEmail
        return
            "\(count.formatted()) imported \(count == 1 ? "profile has" : "profiles have") no usable email (missing or malformed), so \(count == 1 ? "it" : "they") can never be exported."
    }

    /// A job kept for its id column is stored as failed, but it waits for a person, and says so.
    static func statusLabel(_ job: ImportJob) -> String {
        if job.pendingFile != nil { return "Waiting for you: choose the id column" }
        return switch job.status {
        case .running: "Importing"
        case .succeeded: "Imported"
        case .completedWithErrors: "Imported with rejected rows"
        case .failed: "Failed"
        }
    }

    // MARK: Upload

    @Sendable func upload(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot import profiles.")
        let upload: UploadStreamer.Received
        do {
            upload = try await UploadStreamer(limit: services.configuration.maxImportBytes, csrfToken: context.signedIn.session.csrfToken)
                .receive(contentType: request.headers[.contentType] ?? "", body: request.body, into: services.uploads.newFile())
        } catch let error as HTTPError where [.badRequest, .contentTooLarge].contains(error.status) {
            // An empty or oversized file is the person's to fix: say so on the page they came from, with its form.
            return try await render(request, context, importError: error.body, status: error.status)
        }
        let path = upload.path
        let idColumn = upload.fields["idColumn"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        let replaceAll = upload.fields["replaceAll"] == "yes"
        if replaceAll {
            // Replacing all is confirmed by typing how many profiles there are now: the most it can remove.
            let count = try await services.database.profileCount(tenantId: context.tenantId)
            let typed = (upload.fields["confirmRemoval"] ?? "").filter { $0.isNumber }
            guard Int(typed) == count else {
                try? FileManager.default.removeItem(atPath: path)
                return try await render(
                    request,
                    context,
                    importError:
                        "\"Replace all\" removes every profile that is not in the file: up to \(count.formatted()) profiles. To confirm, type \(count) in the box under it and import again.",
                    status: .badRequest
                )
            }
        }
        let fileName = String((upload.fileName ?? "upload.csv").prefix(200))
        let job = try await services.imports.enqueue(
            ImportService.Request(
                tenantId: context.tenantId,
                file: path,
                fileName: fileName,
                options: ImportOptions(idColumn: idColumn?.isEmpty == false ? idColumn : nil, replaceAll: replaceAll),
                userId: context.signedIn.userId,
                actor: context.actor,
                ownsFile: true
            )
        )
        return .seeOther(TenantRoute.importJob.path(context.access.tenant.slug, job.id!))
    }

    struct RetryForm: Decodable { var idColumn: String? }

    /// The id column chosen on the job page: a new job imports the kept file with it.
    @Sendable func retry(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot import profiles.")
        guard let id = context.parameters.get("id", as: Int64.self),
            let waiting = try await services.database.importJob(tenantId: context.tenantId, id: id)
        else { throw HTTPError(.notFound) }
        let form = try await Web.Form.decode(RetryForm.self, from: request, limit: services.configuration.maxFormBytes)
        guard let column = form.idColumn, waiting.columnList.contains(column) else {
            throw HTTPError(.badRequest, message: "Choose one of the file's columns as the id column.")
        }
        guard let path = try await services.database.takePendingFile(tenantId: context.tenantId, jobId: id),
            FileManager.default.fileExists(atPath: path)
        else {
            throw HTTPError(.badRequest, message: "The uploaded file is no longer kept (after an hour, or once used). Upload it again.")
        }
        let job = try await services.imports.enqueue(
            ImportService.Request(
                tenantId: context.tenantId,
                file: path,
                fileName: waiting.fileName,
                options: ImportOptions(idColumn: column, replaceAll: waiting.replaceAll),
                userId: context.signedIn.userId,
                actor: context.actor,
                ownsFile: true
            )
        )
        return .seeOther(TenantRoute.importJob.path(context.access.tenant.slug, job.id!))
    }

    // MARK: Job page

    @Sendable func importPage(request: Request, context: TenantContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self),
            let job = try await services.database.importJob(tenantId: context.tenantId, id: id)
        else { throw HTTPError(.notFound) }
        return try services.views.page(
            "profiles/import",
            ImportPage.build(
                job,
                slug: context.access.tenant.slug,
                policy: context.policy,
                csrf: context.signedIn.session.csrfToken,
                chrome: try await services.chrome("Import \(job.fileName)", section: "Profiles", context)
            )
        )
    }

    // MARK: Delete all

    @Sendable func deleteAllPage(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot delete profiles.")
        return try services.views.page(
            "profiles/delete",
            DeletePage(
                chrome: try await services.chrome("Delete all profiles", section: "Profiles", context),
                count: try await services.database.profileCount(tenantId: context.tenantId).formatted(),
                action: TenantRoute.deleteProfiles.path(context.access.tenant.slug),
                cancelHref: TenantRoute.profiles.path(context.access.tenant.slug)
            )
        )
    }

    struct DeleteForm: Decodable { var confirm: String? }

    @Sendable func deleteAll(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot delete profiles.")
        let form = try await Web.Form.decode(DeleteForm.self, from: request, limit: services.configuration.maxFormBytes)
        guard form.confirm == "delete" else {
            throw HTTPError(.badRequest, message: "Tick the box to confirm that every profile is deleted.")
        }
        _ = try await services.database.deleteAllProfiles(tenantId: context.tenantId, actor: context.actor)
        return .seeOther(TenantRoute.profiles.path(context.access.tenant.slug, query: ["done": "deleted"]))
    }
}
