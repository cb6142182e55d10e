import Foundation
import Hummingbird

/// A URL's query read as an HTML form sends it (`application/x-www-form-urlencoded`): `+` is a space, then
/// percent-escapes are decoded. Hummingbird's `queryParameters` keeps `+` as `+`, so a search for "Jane Doe"
/// typed into a GET form looked for "Jane+Doe". Every query the app reads goes through this.
struct FormQuery: Sendable {
    private let pairs: [(name: String, value: String)]

    init(_ query: String?) {
        pairs = (query ?? "").split(separator: "&").map { part in
            let halves = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(halves[0]), halves.count > 1 ? Self.decode(halves[1]) : "")
        }
    }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// The first value of `name`, as Hummingbird's `get` answers.
    func get(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Every value of `name`, in order (checkboxes and repeated fields).
    func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    func get<T: LosslessStringConvertible>(_ name: String, as type: T.Type) -> T? {
        get(name).flatMap { T($0) }
    }
}

extension Request {
    var formQuery: FormQuery { FormQuery(uri.query) }
}
