import OutboundCore
import Foundation
import Hummingbird
import Secrets
import Store

/// Data > Segments: rules (conditions in AND/OR groups), a member-count preview, materialised members refreshed
/// on save and on demand, and a deletion guard for segments an export uses. Every step is a plain form POST;
/// the editor needs no JavaScript.
struct SegmentsController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get("segments", use: list)
        group.get("segments/new", use: newPage)
        group.post("segments/new", use: step)
        group.get("segments/:id", use: editPage)
        group.post("segments/:id", use: step)
    }

    struct ListPage {
        struct Row { var name: String; var href: String; var members: String; var refreshed: String; var exports: String }
        var chrome: Chrome
        var rows: [Row]
        var hasRows: Bool
        var canEdit: Bool
        var newHref: String
        var notice: String?
    }

    @Sendable func list(request: Request, context: TenantContext) async throws -> Response {
        let slug = context.access.tenant.slug
        let summaries = try await services.database.segmentSummaries(tenantId: context.tenantId)
        return try services.views.page("segments/list", ListPage(
            chrome: try await services.chrome("Segments", section: "Segments", context),
            rows: summaries.map {
                .init(name: $0.segment.name, href: SitePath.segments(slug) + "/\($0.segment.id!)", members: $0.segment.memberCount.formatted(),
                      refreshed: $0.segment.refreshedAt.map(Format.dateTime) ?? "Never",
                      exports: $0.exports.isEmpty ? "None" : $0.exports.map(\.name).joined(separator: ", "))
            },
            hasRows: !summaries.isEmpty, canEdit: context.access.role != .viewer, newHref: SitePath.segments(slug) + "/new",
            notice: request.formQuery.get("done") == "deleted" ? "The segment was deleted." : nil))
    }

    // MARK: Editor

    struct Option { var value: String; var label: String; var selected: Bool }
    struct ConditionView { var prefix: String; var attributes: [Option]; var operators: [Option]; var value: String; var value2: String; var problem: String? }
    struct GroupView { var prefix: String; var number: Int; var all: Bool; var any: Bool; var conditions: [ConditionView] }

    struct EditorPage {
        var chrome: Chrome
        var isNew: Bool
        var canEdit: Bool
        var action: String
        var name: String
        var description: String
        var all: Bool
        var any: Bool
        var groups: [GroupView]
        var hasAttributes: Bool
        var preview: String?
        var notice: String?
        var problem: String?
        var nameError: String?
        var memberCount: String?
        var refreshed: String?
        var exports: String?
        var profilesHref: String
    }

    @Sendable func newPage(request: Request, context: TenantContext) async throws -> Response {
        guard context.access.role != .viewer else { throw HTTPError(.forbidden, message: "Viewers cannot create segments.") }
        return try await render(context, segment: nil, name: "", description: "",
                                rules: SegmentRules(combinator: .all, groups: [RuleGroup(combinator: .all, conditions: [])]))
    }

    @Sendable func editPage(request: Request, context: TenantContext) async throws -> Response {
        let segment = try await loadSegment(context)
        let notice: String? = switch request.formQuery.get("done") {
        case "saved": "The segment was saved and refreshed: \(segment.memberCount.formatted()) members."
        case "refreshed": "Refreshed: \(segment.memberCount.formatted()) members."
        default: nil
        }
        return try await render(context, segment: segment, name: segment.name, description: segment.description,
                                rules: segment.decodedRules, notice: notice)
    }

    @Sendable func step(request: Request, context: TenantContext) async throws -> Response {
        guard context.access.role != .viewer else { throw HTTPError(.forbidden, message: "Viewers cannot change segments.") }
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
        switch fields["action"] {
        case "add-group":
            rules.groups.append(RuleGroup(combinator: .all, conditions: []))
            return try await render(context, segment: segment, name: name, description: description, rules: rules)
        case "preview":
            do {
                let count = try await services.database.countMatching(tenantId: context.tenantId, rules: rules)
                return try await render(context, segment: segment, name: name, description: description, rules: rules,
                                        preview: "\(count.formatted()) profiles match these rules now.")
            } catch let problem as SegmentRules.Problem {
                return try await render(context, segment: segment, name: name, description: description, rules: rules,
                                        problem: problem, status: .unprocessableContent)
            }
        case "save":
            var nameError: String?
            if name.isEmpty { nameError = "Enter a name." }
            else if name.count > 100 { nameError = "A name has at most 100 characters." }
            else if try await services.database.segmentNameTaken(tenantId: context.tenantId, name: name, except: segment?.id) {
                nameError = "Another segment is already called \(name)."
            }
            let attributes = try await services.database.attributes(tenantId: context.tenantId)
            do {
                _ = try rules.compile(attributes: attributes)
            } catch {
                return try await render(context, segment: segment, name: name, description: description, rules: rules,
                                        problem: error, nameError: nameError, status: .unprocessableContent)
            }
            if let nameError {
                return try await render(context, segment: segment, name: name, description: description, rules: rules,
                                        nameError: nameError, status: .unprocessableContent)
            }
            let saved = try await services.database.saveSegment(tenantId: context.tenantId, id: segment?.id, name: name,
                                                                description: description, rules: rules, actor: context.actor,
                                                                now: services.clock.now)
            try await refresh(saved, context: context)
            return .seeOther(SitePath.segments(slug) + "/\(saved.id!)?done=saved")
        case "refresh":
            guard let segment else { throw HTTPError(.badRequest, message: "Save the segment first.") }
            try await refresh(segment, context: context)
            return .seeOther(SitePath.segments(slug) + "/\(segment.id!)?done=refreshed")
        case "delete":
            guard let segment else { throw HTTPError(.badRequest, message: "Nothing to delete.") }
            do {
                try await services.database.deleteSegment(tenantId: context.tenantId, id: segment.id!, actor: context.actor)
            } catch let inUse as SegmentInUse {
                return try await render(context, segment: segment, name: segment.name, description: segment.description,
                                        rules: segment.decodedRules,
                                        deleteError: "This segment cannot be deleted while these exports use it: \(inUse.exports.map(\.name).joined(separator: ", ")).",
                                        status: .conflict)
            }
            return .seeOther(SitePath.segments(slug) + "?done=deleted")
        default:
            throw HTTPError(.badRequest, message: "Choose Preview, Add a group, Save, Refresh or Delete.")
        }
    }

    /// Refreshes on the import thread: a refresh over a million profiles takes seconds of SQLite work.
    private func refresh(_ segment: Segment, context: TenantContext) async throws {
        let database = services.database
        let tenantId = context.tenantId
        let now = services.clock.now
        do {
            _ = try await services.importPool.run { try database.refreshSegment(tenantId: tenantId, id: segment.id!, now: now) }
        } catch is BlockingPool.Busy {
            throw HTTPError(.serviceUnavailable, message: "Outbound is busy importing; refresh the segment again in a minute.")
        }
        try await database.recordActivity(tenantId: tenantId, actor: context.actor, action: "segment.refreshed",
                                          detail: "Refreshed segment \(segment.name)")
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
                conditions.append(RuleCondition(attribute: String(attribute.prefix(200)), op: op,
                                                value: String((fields["\(prefix)c\(c).value"] ?? "").prefix(5_000)),
                                                value2: String((fields["\(prefix)c\(c).value2"] ?? "").prefix(200))))
            }
            groups.append(RuleGroup(combinator: fields["\(prefix)combinator"].flatMap(Combinator.init(rawValue:)) ?? .all,
                                    conditions: conditions))
        }
        return SegmentRules(combinator: fields["combinator"].flatMap(Combinator.init(rawValue:)) ?? .all,
                            groups: groups.isEmpty ? [RuleGroup(combinator: .all, conditions: [])] : groups)
    }

    private func render(_ context: TenantContext, segment: Segment?, name: String, description: String, rules: SegmentRules,
                        preview: String? = nil, notice: String? = nil, problem: SegmentRules.Problem? = nil,
                        nameError: String? = nil, deleteError: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let slug = context.access.tenant.slug
        let attributes = try await services.database.attributes(tenantId: context.tenantId)
        let exports = try await segment.asyncMap { try await services.database.exportsUsing(tenantId: context.tenantId, segmentId: $0.id!) }
        let groups = rules.groups.enumerated().map { g, group in
            // Every group shows one blank condition to fill in.
            let shown = group.conditions + [RuleCondition(attribute: "", op: .equals)]
            return GroupView(prefix: "g\(g)", number: g + 1, all: group.combinator == .all, any: group.combinator == .any,
                             conditions: shown.enumerated().map { c, condition in
                                 ConditionView(
                                    prefix: "g\(g).c\(c)",
                                    attributes: [Option(value: "", label: "— attribute —", selected: condition.attribute.isEmpty)]
                                        + attributes.map { Option(value: $0.name, label: "\($0.name) (\($0.type.rawValue))",
                                                                  selected: $0.name.lowercased() == condition.attribute.lowercased()) },
                                    operators: RuleOperator.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: $0 == condition.op) },
                                    value: condition.value, value2: condition.value2,
                                    problem: problem.flatMap { $0.group == g && $0.condition == c ? $0.message : nil })
                             })
        }
        return try services.views.page("segments/editor", EditorPage(
            chrome: try await services.chrome(segment.map { "Segment \($0.name)" } ?? "New segment", section: "Segments", context),
            isNew: segment == nil, canEdit: context.access.role != .viewer,
            action: segment.map { SitePath.segments(slug) + "/\($0.id!)" } ?? SitePath.segments(slug) + "/new",
            name: name, description: description, all: rules.combinator == .all, any: rules.combinator == .any,
            groups: groups, hasAttributes: !attributes.isEmpty, preview: preview, notice: notice,
            problem: deleteError ?? problem.map { "Group \($0.group + 1), condition \($0.condition + 1): \($0.message)" },
            nameError: nameError, memberCount: segment.map { $0.memberCount.formatted() },
            refreshed: segment.map { $0.refreshedAt.map(Format.dateTime) ?? "Never" },
            exports: exports.map { $0.isEmpty ? "None" : $0.map(\.name).joined(separator: ", ") },
            profilesHref: SitePath.profiles(slug)), status: status)
    }

    private func loadSegment(_ context: TenantContext) async throws -> Segment {
        guard let id = context.parameters.get("id", as: Int64.self),
              let segment = try await services.database.segment(tenantId: context.tenantId, id: id) else { throw HTTPError(.notFound) }
        return segment
    }
}
