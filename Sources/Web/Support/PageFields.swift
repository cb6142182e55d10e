import Mustache

/// Checks that page models answer Mustache's lookups (`PageFields.generated.swift`) exactly as Mirror would, so a
/// page model changed without running `scripts/generate-page-fields` fails the page tests instead of rendering a
/// blank. Debug builds run it on every render; release builds trust the generated file.
enum PageFields {
    /// One line per field answered differently from Mirror, or per model type with no answers at all. Only types
    /// of `module` are held to it: Strings, Ints and the library's own values render without reflection.
    static func problems(in value: Any, path: String = "page", module: String = "Web") -> [String] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional, .collection:
            return mirror.children.enumerated().flatMap { index, element in
                problems(in: element.value, path: "\(path)[\(index)]", module: module)
            }
        case .struct where String(reflecting: type(of: value)).hasPrefix(module + "."):
            guard let parent = value as? MustacheParent else {
                return ["\(path): \(type(of: value)) does not answer Mustache's lookups; run scripts/generate-page-fields"]
            }
            return mirror.children.flatMap { label, field -> [String] in
                guard let label else { return [] }
                let expected = unwrapped(field).map { String(describing: $0) }
                let answered = parent.child(named: label).map { String(describing: $0) }
                let here =
                    expected == answered ? [] : ["\(path).\(label) is not answered as Mirror reads it; run scripts/generate-page-fields"]
                return here + problems(in: field, path: "\(path).\(label)", module: module)
            }
        default:
            return []
        }
    }

    /// What Mustache's Mirror lookup returns for a field: an Optional's value, or nil.
    private static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }
}
