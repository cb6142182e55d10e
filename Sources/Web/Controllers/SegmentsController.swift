import Foundation
import Hummingbird
import OutboundCore
import Secrets
import Store

/// Data > Segments: rules (conditions in AND/OR groups), a member-count preview, materialised members refreshed
/// on save and on demand, and a deletion guard for segments an export uses. Every step is a plain form POST;
/// the editor needs no JavaScript.
struct SegmentsController {
    let services: AppServices
    var steps: SegmentSteps { SegmentSteps(database: services.database, pool: services.importPool) }

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.segments, use: list)
        group.get(.newSegment, use: newPage)
        group.post(.newSegment, use: step)
        group.get(.segment, use: editPage)
        group.post(.segment, use: step)
        group.get(.deleteSegment, use: deletePage)
        group.post(.deleteSegment, use: delete)
    }

    @Sendable func list(request: Request, context: TenantContext) async throws -> Response {
        let slug = context.access.tenant.slug
        let summaries = try await services.database.segmentSummaries(tenantId: context.tenantId)
        return try services.views.page(
            "segments/list",
            ListPage.build(
                summaries,
                slug: slug,
                chrome: try await services.chrome("Segments", section: "Segments", context),
                policy: context.policy,
                notice: request.formQuery.get("done") == "deleted" ? "The segment was deleted." : nil
            )
        )
    }

    // MARK: Editor

    @Sendable func newPage(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot create segments.")
        return try await render(
            context,
            segment: nil,
            name: "",
            description: "",
            rules: SegmentRules(combinator: .all, groups: [RuleGroup(combinator: .all, conditions: [])])
        )
    }

    @Sendable func editPage(request: Request, context: TenantContext) async throws -> Response {
        let segment = try await loadSegment(context)
        let notice: String? =
            switch request.formQuery.get("done") {
            case "saved": "The segment was saved and refreshed: \(segment.memberCount.formatted()) members."
            case "refreshed": "Refreshed: \(segment.memberCount.formatted()) members."
            default: nil
            }
        return try await render(
            context,
            segment: segment,
            name: segment.name,
            description: segment.description,
            rules: segment.decodedRules,
            notice: notice
        )
    }

    @Sendable func step(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot change segments.")
        let segment: Segment? = context.parameters.get("id") == nil ? nil : try await loadSegment(context)
        var request = request
        let body = try await request.collectBody(upTo: services.configuration.maxFormBytes)
        guard let fields = try? URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: body)) else {
            throw HTTPError(.badRequest, message: "The form could not be read. Reload the page and try again.")
        }
        let name = (fields["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let description = String((fields["description"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(1_000))
        var rules = Self.parseRules(fields)
        let slug = context.access.tenant.slug
        if let action = fields["action"], action.hasPrefix("add-condition:") {
            // One more empty condition in that group (each group always shows one to fill in as well).
            if let g = Int(action.dropFirst("add-condition:".count)), rules.groups.indices.contains(g) {
                rules.groups[g].conditions.append(RuleCondition(attribute: "", op: .equals))
            }
            return try await render(context, segment: segment, name: name, description: description, rules: rules)
        }
        switch fields["action"] {
        case "add-group":
            rules.groups.append(RuleGroup(combinator: .all, conditions: []))
            return try await render(context, segment: segment, name: name, description: description, rules: rules)
        case "preview":
            do {
                let count = try await services.database.countMatching(tenantId: context.tenantId, rules: rules)
                return try await render(
                    context,
                    segment: segment,
                    name: name,
                    description: description,
                    rules: rules,
                    preview: "\(count.formatted()) profiles match these rules now."
                )
            } catch let problem as SegmentRules.Problem {
                return try await render(
                    context,
                    segment: segment,
                    name: name,
                    description: description,
                    rules: rules,
                    problem: problem,
                    status: .unprocessableContent
                )
            }
        case "save":
            let nameError = try await steps.nameProblem(name, tenantId: context.tenantId, except: segment?.id)
            let attributes = try await services.database.attributes(tenantId: context.tenantId)
            do {
                _ = try rules.compile(attributes: attributes)
            } catch {
                return try await render(
                    context,
                    segment: segment,
                    name: name,
                    description: description,
                    rules: rules,
                    problem: error,
                    nameError: nameError,
                    status: .unprocessableContent
                )
            }
            if let nameError {
                return try await render(
                    context,
                    segment: segment,
                    name: name,
                    description: description,
                    rules: rules,
                    nameError: nameError,
                    status: .unprocessableContent
                )
            }
            let saved = try await services.database.saveSegment(
                tenantId: context.tenantId,
                id: segment?.id,
                name: name,
                description: description,
                rules: rules,
                actor: context.actor,
                now: services.clock.now
            )
            try await steps.refresh(saved, tenantId: context.tenantId, actor: context.actor)
            return .seeOther(TenantRoute.segment.path(slug, saved.id!, query: ["done": "saved"]))
        case "refresh":
            guard let segment else { throw HTTPError(.badRequest, message: "Save the segment first.") }
            try await steps.refresh(segment, tenantId: context.tenantId, actor: context.actor)
            return .seeOther(TenantRoute.segment.path(slug, segment.id!, query: ["done": "refreshed"]))
        default:
            throw HTTPError(.badRequest, message: "Choose Preview, Add a group, Save or Refresh.")
        }
    }

    // MARK: Delete, confirmed on its own page

    @Sendable func deletePage(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot delete segments.")
        return try await renderDelete(context, segment: try await loadSegment(context))
    }

    @Sendable func delete(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot delete segments.")
        let segment = try await loadSegment(context)
        do {
            try await services.database.deleteSegment(tenantId: context.tenantId, id: segment.id!, actor: context.actor)
        } catch is SegmentInUse {
            // Linked between the page and the click: the page now names the exports.
            return try await renderDelete(context, segment: segment, status: .conflict)
        }
        return .seeOther(TenantRoute.segments.path(context.access.tenant.slug, query: ["done": "deleted"]))
    }

    private func renderDelete(_ context: TenantContext, segment: Segment, status: HTTPResponse.Status = .ok) async throws -> Response {
        let slug = context.access.tenant.slug
        let exports = try await services.database.exportsUsing(tenantId: context.tenantId, segmentId: segment.id!)
        let page = DeletePage(
            chrome: try await services.chrome("Delete \(segment.name)", section: "Segments", context),
            name: segment.name,
            members: segment.memberCount.formatted(),
            exports: exports.map { .init(name: $0.name, href: TenantRoute.export.path(slug, $0.id)) },
            inUse: !exports.isEmpty,
            action: TenantRoute.deleteSegment.path(slug, segment.id!),
            cancelHref: TenantRoute.segment.path(slug, segment.id!)
        )
        return try services.views.page("segments/delete", page, status: status)
    }

    static func parseRules(_ fields: [String: String]) -> SegmentRules {
        var groups: [RuleGroup] = []
        for g in 0..<20 {
            let prefix = "g\(g)."
            guard fields.keys.contains(where: { $0.hasPrefix(prefix) }) else { break }
            var conditions: [RuleCondition] = []
            for c in 0..<50 {
                guard let attribute = fields["\(prefix)c\(c).attribute"] else { break }
                guard !attribute.isEmpty, let op = fields["\(prefix)c\(c).op"].flatMap(RuleOperator.init(rawValue:)) else { continue }
                conditions.append(
                    RuleCondition(
                        attribute: String(attribute.prefix(200)),
                        op: op,
                        value: String((fields["\(prefix)c\(c).value"] ?? "").prefix(5_000)),
                        value2: String((fields["\(prefix)c\(c).value2"] ?? "").prefix(200))
                    )
                )
            }
            groups.append(
                RuleGroup(
                    combinator: fields["\(prefix)combinator"].flatMap(Combinator.init(rawValue:)) ?? .all,
                    conditions: conditions
                )
            )
        }
        return SegmentRules(
            combinator: fields["combinator"].flatMap(Combinator.init(rawValue:)) ?? .all,
            groups: groups.isEmpty ? [RuleGroup(combinator: .all, conditions: [])] : groups
        )
    }

    private func render(
        _ context: TenantContext,
        segment: Segment?,
        name: String,
        description: String,
        rules: SegmentRules,
        preview: String? = nil,
        notice: String? = nil,
        problem: SegmentRules.Problem? = nil,
        nameError: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let attributes = try await services.database.attributes(tenantId: context.tenantId)
        let exports = try await segment.asyncMap { try await services.database.exportsUsing(tenantId: context.tenantId, segmentId: $0.id!) }
        var page = EditorPage.build(
            segment: segment,
            rules: rules,
            attributes: attributes,
            exports: exports,
            slug: context.access.tenant.slug,
            policy: context.policy,
            chrome: try await services.chrome(segment.map { "Segment \($0.name)" } ?? "New segment", section: "Segments", context)
        )
        page.name = name
        page.description = description
        page.preview = preview
        page.notice = notice
        page.nameError = nameError
        // Each problem once: under its condition, or at the top when the condition is not on the page.
        if let problem, page.groups.indices.contains(problem.group),
            page.groups[problem.group].conditions.indices.contains(problem.condition)
        {
            page.groups[problem.group].conditions[problem.condition].problem = problem.message
        } else {
            page.problem = problem.map { "Group \($0.group + 1), condition \($0.condition + 1): \($0.message)" }
        }
        return try services.views.page("segments/editor", page, status: status)
    }

    private func loadSegment(_ context: TenantContext) async throws -> Segment {
        guard let id = context.parameters.get("id", as: Int64.self),
            let segment = try await services.database.segment(tenantId: context.tenantId, id: id)
        else { throw HTTPError(.notFound) }
        return segment
    }
}
