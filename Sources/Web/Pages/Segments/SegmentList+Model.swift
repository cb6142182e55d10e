import OutboundCore
import Store

/// The page model of Templates/segments/list.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension SegmentsController {
    struct ListPage {
        struct Row {
            var name: String
            var href: String
            var members: String
            var refreshed: String
            var exports: String
            /// No conditions: every profile is a member.
            var everyone: Bool = false
        }
        var chrome: Chrome
        var rows: [Row]
        var hasRows: Bool
        var canEdit: Bool
        var newHref: String
        var notice: String?
    }
}

extension SegmentsController.ListPage {
    /// Built from store reads; the controller and the tests call it.
    static func build(_ summaries: [SegmentSummary], slug: String, chrome: Chrome, policy: Policy, notice: String?) -> Self {
        Self(
            chrome: chrome,
            rows: summaries.map {
                .init(
                    name: $0.segment.name,
                    href: TenantRoute.segment.path(slug, $0.segment.id!),
                    members: $0.segment.memberCount.formatted(),
                    refreshed: $0.segment.refreshedAt.map(Format.dateTime) ?? "Never",
                    exports: $0.exports.isEmpty ? "None" : $0.exports.map(\.name).joined(separator: ", "),
                    everyone: $0.segment.decodedRules.conditionCount == 0
                )
            },
            hasRows: !summaries.isEmpty,
            canEdit: policy.can(.changeData),
            newHref: TenantRoute.newSegment.path(slug),
            notice: notice
        )
    }
}
