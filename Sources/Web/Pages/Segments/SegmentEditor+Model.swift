import OutboundCore
import Store

/// The page model of Templates/segments/editor.mustache: plain stored values, read by Mustache through Mirror.
extension SegmentsController {
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
}
