import Mustache

/// Markup written in Swift for rows (`HTMLRow`): in a template, each cell's name was looked up the context stack and
/// its value cast several times, half of Data > Profiles' CPU with its 400 cells.
/// The literals are the markup; every interpolated `String` goes through the templates' own escaping
/// (`ScalarHTMLContentType.escape`), so no value reaches the page raw, as in a template.
struct SafeHTML: ExpressibleByStringInterpolation, Sendable {
    /// UTF-8: appended to byte by byte, made a String once.
    let bytes: [UInt8]

    /// Markup: only ever a literal in the source (StaticString), never text made at run time.
    init(stringLiteral markup: StaticString) { bytes = markup.withUTF8Buffer { Array($0) } }

    init(stringInterpolation: StringInterpolation) { bytes = stringInterpolation.bytes }

    /// A value escaped once, for markup that shows it more than once.
    init(escaping value: String) {
        var bytes: [UInt8] = []
        ScalarHTMLContentType.escape(value, into: &bytes)
        self.bytes = bytes
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate(set) var bytes: [UInt8] = []

        init(literalCapacity: Int, interpolationCount: Int) { bytes.reserveCapacity(literalCapacity + 32 * interpolationCount) }

        mutating func appendLiteral(_ markup: StaticString) { markup.withUTF8Buffer { bytes.append(contentsOf: $0) } }

        /// A value: escaped.
        mutating func appendInterpolation(_ value: String) { ScalarHTMLContentType.escape(value, into: &bytes) }

        /// Markup built the same way.
        mutating func appendInterpolation(_ fragment: SafeHTML) { bytes.append(contentsOf: fragment.bytes) }
    }
}

/// A row (of a table, or an item of a list) written as markup, its values escaped (see `HTMLRows`).
protocol HTMLRow {
    var html: SafeHTML { get }
    /// Between two rows: a line break for table rows (as the templates wrote them), nothing for list items.
    static var separator: UInt8? { get }
}

extension HTMLRow {
    static var separator: UInt8? { UInt8(ascii: "\n") }
}

/// A row written on the same line as the next (list items, rows of a one-line `<tbody>`).
protocol InlineHTMLRow: HTMLRow {}

extension InlineHTMLRow {
    static var separator: UInt8? { nil }
}

/// Rows rendered at once: the template writes `{{{rows}}}`, one look-up where a section over the rows cost a
/// context push and several casts per row (`Views` allows `{{{…}}}` only for these fields). Read like the array it
/// holds; a section over it still renders once per row.
struct HTMLRows<Row: HTMLRow>: RandomAccessCollection, ExpressibleByArrayLiteral, MustacheCustomRenderable, CustomReflectable {
    private let rows: [Row]

    init(_ rows: some Sequence<Row>) { self.rows = Array(rows) }
    init(arrayLiteral rows: Row...) { self.rows = rows }

    var startIndex: Int { rows.startIndex }
    var endIndex: Int { rows.endIndex }
    subscript(position: Int) -> Row { rows[position] }

    /// The rows one after the other, as a section over them wrote them.
    var renderText: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * 512)
        for (index, row) in rows.enumerated() {
            if index > 0, let separator = Row.separator { bytes.append(separator) }
            bytes.append(contentsOf: row.html.bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    var isNull: Bool { rows.isEmpty }

    /// An array to the page-fields check (and anything else that reflects).
    var customMirror: Mirror { Mirror(self, unlabeledChildren: rows, displayStyle: .collection) }
}

extension HTMLRows: Sendable where Row: Sendable {}

extension HTMLRows: MustacheSequence {}
