import Foundation
import HummingbirdTesting
import Mustache
import Testing

@testable import Web

/// Template values are escaped per Unicode scalar: a special character followed by a combining mark or a joiner
/// (one Character to Swift) is escaped all the same, in a template and in a page.
@Suite struct EscapingTests {
    static let specials: [(raw: Unicode.Scalar, escaped: String)] = [
        ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&quot;"), ("'", "&#39;"),
    ]
    static let marks: [Unicode.Scalar] = ["\u{0301}", "\u{20DD}", "\u{200D}"]

    /// True when `html` holds the raw special scalar directly followed by the mark.
    static func leaks(_ html: String, _ special: Unicode.Scalar, _ mark: Unicode.Scalar) -> Bool {
        let scalars = Array(html.unicodeScalars)
        return zip(scalars, scalars.dropFirst()).contains { $0 == special && $1 == mark }
    }

    @Test func aTemplateEscapesEachSpecialCharacterFollowedByAMark() throws {
        MustacheContentTypes.register(ScalarHTMLContentType(), named: ScalarHTMLContentType.name)
        let template = try MustacheTemplate(string: ScalarHTMLContentType.pragma + "\n<input value=\"{{v}}\">")
        for special in Self.specials {
            for mark in Self.marks {
                let value = "x" + String(special.raw) + String(mark) + " autofocus onfocus=alert(1)"
                let html = template.render(["v": value])
                #expect(html == "<input value=\"x\(special.escaped)\(mark) autofocus onfocus=alert(1)\">")
                #expect(!Self.leaks(html, special.raw, mark), "\(special.raw) + U+\(String(mark.value, radix: 16))")
            }
        }
    }

    @Test func theProfileSearchBoxEscapesEachSpecialCharacterFollowedByAMark() async throws {
        let world = try await TestWorld.make()
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            for special in Self.specials {
                for mark in Self.marks {
                    let query = "x" + String(special.raw) + String(mark) + " autofocus onfocus=alert(1)"
                    let page = try await alice.get("/t/acme/data/profiles?q=" + Browser.encode(query)).text
                    #expect(page.contains("value=\"x\(special.escaped)\(mark) autofocus onfocus=alert(1)\""))
                    #expect(!Self.leaks(page, special.raw, mark), "\(special.raw) + U+\(String(mark.value, radix: 16))")
                }
            }
        }
    }

    @Test func aTemplateWithoutOutboundsEscapingIsRefusedAtStart() async throws {
        let directory = try temporaryDirectory()
        try "<p>{{v}}</p>".write(toFile: directory + "/bare.mustache", atomically: true, encoding: .utf8)
        #expect(throws: Views.LoadError.self) { try Views.requireEscapingPragma(in: directory) }
    }

    @Test func aValueWrittenUnescapedIsRefusedAtStartUnlessItIsRowsWrittenAsMarkup() async throws {
        let pragma = ScalarHTMLContentType.pragma
        for body in ["<p>{{{note}}}</p>", "<p>{{& note }}</p>", "<p>{{{ rows }}}</p>"] {
            let directory = try temporaryDirectory()
            try (pragma + body).write(toFile: directory + "/page.mustache", atomically: true, encoding: .utf8)
            #expect(throws: Views.LoadError.self, "\(body)") { try Views.requireEscapingPragma(in: directory) }
        }
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/profiles", withIntermediateDirectories: true)
        try (pragma + "<tbody>{{{ rows }}}</tbody>").write(
            toFile: directory + "/profiles/index.mustache",
            atomically: true,
            encoding: .utf8
        )
        try Views.requireEscapingPragma(in: directory)
    }
}
