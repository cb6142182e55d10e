import OutboundCore
import Store

/// The page model of Templates/segments/editor.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension SegmentsController {
    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }
    struct ConditionView {
        var prefix: String
        var attributes: [Option]
        var operators: [Option]
        var value: String
        var value2: String
        var problem: String?
    }
    struct GroupView {
        var prefix: String
        var number: Int
        var all: Bool
        var any: Bool
        var conditions: [ConditionView]
        /// The value of this group's "Add condition" button.
        var addCondition: String
    }
    /// A viewer's read-only group: the rule in words, with no inputs that would lead to a 403.
    struct RuleText {
        var heading: String
        var conditions: [String]
    }

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
        var deleteHref: String?
        var ruleText: [RuleText] = []
        /// No condition at all: the segment holds every profile, and says so.
        var everyone: Bool = false
    }
}

extension SegmentsController.EditorPage {
    /// The editor for `rules` (of `segment`, or a new one), from store reads; the controller adds what the last step
    /// said (preview, notices, problems). Every group shows one blank condition to fill in.
    static func build(
        segment: Segment?,
        rules: SegmentRules,
        attributes: [Attribute],
        exports: [ExportReference]?,
        slug: String,
        policy: Policy,
        chrome: Chrome
    ) -> Self {
        typealias Option = SegmentsController.Option
        let groups = rules.groups.enumerated().map { g, group in
            let shown = group.conditions + [RuleCondition(attribute: "", op: .equals)]
            return SegmentsController.GroupView(
                prefix: "g\(g)",
                number: g + 1,
                all: group.combinator == .all,
                any: group.combinator == .any,
                conditions: shown.enumerated().map { c, condition in
                    SegmentsController.ConditionView(
                        prefix: "g\(g).c\(c)",
                        attributes: [Option(value: "", label: "— attribute —", selected: condition.attribute.isEmpty)]
                            + attributes.map {
                                Option(
                                    value: $0.name,
                                    label: "\($0.name) (\($0.type.rawValue))",
                                    selected: $0.name.lowercased() == condition.attribute.lowercased()
                                )
                            },
                        operators: RuleOperator.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: $0 == condition.op) },
                        value: condition.value,
                        value2: condition.value2,
                        problem: nil
                    )
                },
                addCondition: "add-condition:\(g)"
            )
        }
        let ruleText = rules.groups.enumerated().filter { !$0.element.conditions.isEmpty }.map { g, group in
            SegmentsController.RuleText(
                heading: "Group \(g + 1): matches \(group.combinator.label)",
                conditions: group.conditions.map { condition in
                    switch condition.op {
                    case .isEmpty, .isNotEmpty: "\(condition.attribute) \(condition.op.label)"
                    case .between: "\(condition.attribute) is between \(condition.value) and \(condition.value2)"
                    default: "\(condition.attribute) \(condition.op.label) \(condition.value)"
                    }
                }
            )
        }
        return Self(
            chrome: chrome,
            isNew: segment == nil,
            canEdit: policy.can(.changeData),
            action: segment.map { TenantRoute.segment.path(slug, $0.id!) } ?? TenantRoute.newSegment.path(slug),
            name: segment?.name ?? "",
            description: segment?.description ?? "",
            all: rules.combinator == .all,
            any: rules.combinator == .any,
            groups: groups,
            hasAttributes: !attributes.isEmpty,
            preview: nil,
            notice: nil,
            problem: nil,
            nameError: nil,
            memberCount: segment.map { $0.memberCount.formatted() },
            refreshed: segment.map { $0.refreshedAt.map(Format.dateTime) ?? "Never" },
            exports: exports.map { $0.isEmpty ? "None" : $0.map(\.name).joined(separator: ", ") },
            profilesHref: TenantRoute.profiles.path(slug),
            deleteHref: segment.map { TenantRoute.deleteSegment.path(slug, $0.id!) },
            ruleText: ruleText,
            everyone: rules.conditionCount == 0
        )
    }
}
