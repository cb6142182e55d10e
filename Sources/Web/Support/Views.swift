import Foundation
import Hummingbird
import Mustache

/// The Mustache templates, all loaded and parsed at start-up: a missing or broken template stops the server with
/// its name and line, never a 500 on first use. Every template starts with `ScalarHTMLContentType.pragma`, so
/// `{{value}}` is escaped per Unicode scalar (a template without it is refused). `{{{…}}}` (unescaped) is refused
/// except for the rows written as markup in Swift (`HTMLRows`, every value in them escaped the same way).
public struct Views: Sendable {
    let library: MustacheLibrary

    static let requiredTemplates = [
        "layout", "error", "login", "home", "account", "members", "members/remove", "members/reset", "activity", "empty-area",
        "connections/list", "connections/choose", "connections/form", "connections/remove",
        "profiles/index", "profiles/import", "profiles/delete", "profiles/profile", "profiles/delete-one", "profiles/forget",
        "segments/list",
        "segments/editor", "segments/delete",
        "exports/list", "exports/form", "exports/preview", "exports/run", "exports/remove",
        "system",
    ]

    public enum LoadError: Error, CustomStringConvertible {
        case missingDirectory(String)
        case broken(file: String, line: Int, column: Int, reason: String)
        case missingTemplate(String, directory: String)
        case withoutEscaping(file: String)
        case unescaped(file: String, name: String)

        public var description: String {
            switch self {
            case .missingDirectory(let path):
                "Templates directory not found at \(path). Run from the repository, or pass --templates-dir."
            case .broken(let file, let line, let column, let reason):
                "Template \(file) is broken at line \(line), column \(column): \(reason)"
            case .missingTemplate(let name, let directory):
                "Template \(name).mustache is missing from \(directory)."
            case .withoutEscaping(let file):
                "Template \(file) must start with \(ScalarHTMLContentType.pragma) (Outbound's HTML escaping)."
            case .unescaped(let file, let name):
                "Template \(file) writes {{{\(name)}}} unescaped; only rows written as markup (HTMLRows) may be."
            }
        }
    }

    public static func load(directory: String) async throws -> Views {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoadError.missingDirectory(directory)
        }
        try requireEscapingPragma(in: directory)
        // Registered before parsing: the pragma is resolved when a template is parsed.
        MustacheContentTypes.register(ScalarHTMLContentType(), named: ScalarHTMLContentType.name)
        let library: MustacheLibrary
        do {
            library = try await MustacheLibrary(directory: directory, withExtension: "mustache")
        } catch let error as MustacheLibrary.ParserError {
            throw LoadError.broken(
                file: error.filename,
                line: error.context.lineNumber,
                column: error.context.columnNumber,
                reason: "\(error.error)"
            )
        }
        for name in requiredTemplates where library.getTemplate(named: name) == nil {
            throw LoadError.missingTemplate(name, directory: directory)
        }
        return Views(library: library)
    }

    /// The `HTMLRows` fields each template may write unescaped (`{{{name}}}`).
    static let unescapedRows: [String: Set<String>] = [
        "profiles/index.mustache": ["headings", "imports", "rows"],
        "activity.mustache": ["events"],
        "partials/nav.mustache": ["tenants", "adminNav", "dataNav"],
        "exports/run.mustache": ["counts", "invalid", "rejected", "history"],
    ]

    /// Mustache's own escaping (per Character) is not enough; refuse any template that does not select ours, or that
    /// writes a value unescaped other than the rows `unescapedRows` names.
    static func requireEscapingPragma(in directory: String) throws {
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".mustache") {
            let text = (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)) ?? ""
            guard text.hasPrefix(ScalarHTMLContentType.pragma) else { throw LoadError.withoutEscaping(file: file) }
            for match in text.matches(of: /\{\{(?:\{\s*([^}]*?)\s*\}|&\s*([^}]*?)\s*)\}\}/) {
                let name = String(match.output.1 ?? match.output.2 ?? "")
                guard unescapedRows[file]?.contains(name) == true else { throw LoadError.unescaped(file: file, name: name) }
            }
        }
    }

    func render(_ name: String, _ model: Any) throws -> String {
        #if DEBUG
        let problems = PageFields.problems(in: model)
        assert(problems.isEmpty, problems.joined(separator: "\n"))
        #endif
        guard let html = library.render(model, withTemplate: name) else {
            throw HTTPError(.internalServerError, message: "Missing template \(name)")
        }
        return html
    }

    func page(_ name: String, _ model: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        Response.html(try render(name, model), status: status)
    }
}

extension Response {
    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// 303 See Other: after a form POST the browser follows with a GET.
    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}
