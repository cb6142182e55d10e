import Foundation
import GRDB

public enum Combinator: String, Codable, Sendable, CaseIterable {
    case all, any
    var sql: String { self == .all ? " AND " : " OR " }
    public var label: String { self == .all ? "all of" : "any of" }
}

public enum RuleOperator: String, Codable, Sendable, CaseIterable {
    case equals, notEquals, contains, startsWith, endsWith
    case greaterThan, greaterOrEqual, lessThan, lessOrEqual, between
    case isEmpty, isNotEmpty, inList

    public var label: String {
        switch self {
        case .equals: "equals"
        case .notEquals: "does not equal"
        case .contains: "contains"
        case .startsWith: "starts with"
        case .endsWith: "ends with"
        case .greaterThan: "is greater than"
        case .greaterOrEqual: "is greater than or equal to"
        case .lessThan: "is less than"
        case .lessOrEqual: "is less than or equal to"
        case .between: "is between"
        case .isEmpty: "is empty"
        case .isNotEmpty: "is not empty"
        case .inList: "is one of (comma-separated)"
        }
    }

    var needsValue: Bool { self != .isEmpty && self != .isNotEmpty }

    func allowed(for type: AttributeType) -> Bool {
        switch self {
        case .equals, .notEquals, .isEmpty, .isNotEmpty: true
        case .contains, .startsWith, .endsWith: type == .text
        case .greaterThan, .greaterOrEqual, .lessThan, .lessOrEqual, .between: type == .number || type == .date
        case .inList: type != .boolean
        }
    }
}

public struct RuleCondition: Codable, Sendable, Equatable {
    public var attribute: String
    public var op: RuleOperator
    public var value: String
    public var value2: String

    public init(attribute: String, op: RuleOperator, value: String = "", value2: String = "") {
        self.attribute = attribute
        self.op = op
        self.value = value
        self.value2 = value2
    }
}

public struct RuleGroup: Codable, Sendable, Equatable {
    public var combinator: Combinator
    public var conditions: [RuleCondition]

    public init(combinator: Combinator, conditions: [RuleCondition]) {
        self.combinator = combinator
        self.conditions = conditions
    }
}

/// A segment's rules: groups of conditions, combined by `combinator`; each group combines its own conditions.
/// That is one level of nesting: (a AND b) OR (c AND d), or (a OR b) AND c.
public struct SegmentRules: Codable, Sendable, Equatable {
    public var combinator: Combinator
    public var groups: [RuleGroup]

    public init(combinator: Combinator, groups: [RuleGroup]) {
        self.combinator = combinator
        self.groups = groups
    }

    public var conditionCount: Int { groups.reduce(0) { $0 + $1.conditions.count } }

    /// A problem with one condition, with its place, for the editor to show next to it.
    public struct Problem: Error, Equatable, Sendable {
        public var group: Int
        public var condition: Int
        public var message: String
    }

    /// Compiles the rules into a WHERE fragment over `profile` and its arguments. Attribute names and values
    /// become bound parameters only; the SQL text is built from fixed pieces.
    public func compile(attributes: [Attribute]) throws(Problem) -> (sql: String, arguments: StatementArguments) {
        let byName = Dictionary(attributes.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        var groupSQL: [String] = []
        var arguments = StatementArguments()
        for (groupIndex, group) in groups.enumerated() where !group.conditions.isEmpty {
            var parts: [String] = []
            for (conditionIndex, condition) in group.conditions.enumerated() {
                func problem(_ message: String) -> Problem { Problem(group: groupIndex, condition: conditionIndex, message: message) }
                guard let attribute = byName[condition.attribute.lowercased()] else {
                    throw problem("There is no attribute called \(condition.attribute).")
                }
                guard condition.op.allowed(for: attribute.type) else {
                    throw problem(
                        "\(attribute.name) is a \(attribute.type.rawValue) attribute; “\(condition.op.label)” does not apply to it."
                    )
                }
                let (sql, args) = try Self.conditionSQL(condition, attribute: attribute, problem: problem)
                parts.append(sql)
                arguments += args
            }
            groupSQL.append("(" + parts.joined(separator: group.combinator.sql) + ")")
        }
        guard !groupSQL.isEmpty else { return ("1", []) }  // no conditions: every profile
        return ("(" + groupSQL.joined(separator: combinator.sql) + ")", arguments)
    }

    private static func conditionSQL(
        _ condition: RuleCondition,
        attribute: Attribute,
        problem: (String) -> Problem
    ) throws(Problem) -> (String, StatementArguments) {
        let value = "json_extract(attributes, ?)"
        let path = attribute.path
        let text = condition.value.trimmingCharacters(in: .whitespaces)
        if condition.op.needsValue, text.isEmpty { throw problem("Enter a value for \(attribute.name).") }

        func typed(_ raw: String) throws(Problem) -> DatabaseValue {
            let raw = raw.trimmingCharacters(in: .whitespaces)
            switch attribute.type {
            case .text: return raw.databaseValue
            case .number:
                guard let number = ValueParser.number(raw) else { throw problem("\(raw) is not a number.") }
                return number.databaseValue
            case .date:
                guard let date = ValueParser.date(raw) else { throw problem("\(raw) is not a date like 2024-05-31.") }
                return date.databaseValue
            case .boolean:
                guard let flag = ValueParser.boolean(raw) else { throw problem("\(raw) is not true or false.") }
                return (flag ? 1 : 0).databaseValue
            }
        }
        // Text compares without regard to case. SQLite's lower() and NOCASE fold ASCII only, which is exact when the
        // typed value is ASCII (a non-ASCII stored letter can never equal an ASCII one); otherwise both sides go
        // through `unicode_lower` (Swift's lowercased(), registered on every connection), which is slower per row.
        let values = condition.op == .inList ? text : text + condition.value2
        let fold = values.unicodeScalars.allSatisfy(\.isASCII) ? "lower" : AppDatabase.unicodeLower
        let isText = attribute.type == .text
        func folded(_ sql: String) -> String { isText ? "\(fold)(\(sql))" : sql }
        switch condition.op {
        case .equals: return ("\(folded(value)) = \(folded("?"))", [path, try typed(text)])
        case .notEquals: return ("(\(value) IS NULL OR \(folded(value)) <> \(folded("?")))", [path, path, try typed(text)])
        case .contains: return ("instr(\(fold)(\(value)), \(fold)(?)) > 0", [path, text])
        case .startsWith: return ("\(fold)(substr(\(value), 1, ?)) = \(fold)(?)", [path, text.unicodeScalars.count, text])
        case .endsWith: return ("\(fold)(substr(\(value), -?)) = \(fold)(?)", [path, text.unicodeScalars.count, text])
        case .greaterThan: return ("\(value) > ?", [path, try typed(text)])
        case .greaterOrEqual: return ("\(value) >= ?", [path, try typed(text)])
        case .lessThan: return ("\(value) < ?", [path, try typed(text)])
        case .lessOrEqual: return ("\(value) <= ?", [path, try typed(text)])
        case .between:
            let upper = condition.value2.trimmingCharacters(in: .whitespaces)
            if upper.isEmpty { throw problem("Enter both ends of the range for \(attribute.name).") }
            return ("\(value) BETWEEN ? AND ?", [path, try typed(text), try typed(upper)])
        case .isEmpty: return ("(\(value) IS NULL OR \(value) = '')", [path, path])
        case .isNotEmpty: return ("(\(value) IS NOT NULL AND \(value) <> '')", [path, path])
        case .inList:
            let items = text.split(whereSeparator: { $0 == "," || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            guard !items.isEmpty, items.count <= 500 else { throw problem("List 1 to 500 values, separated by commas.") }
            var arguments: StatementArguments = [path]
            for item in items { arguments += [try typed(item)] }
            return ("\(folded(value)) IN (" + Array(repeating: folded("?"), count: items.count).joined(separator: ", ") + ")", arguments)
        }
    }
}

/// Reading typed values from text, shared by imports and rules.
public enum ValueParser {
    /// A decimal number as people write it; refuses leading zeros and signs that would lose meaning
    /// (a phone number like 0044… or +44… stays text).
    public static func number(_ raw: String) -> Double? {
        // Checked on the UTF-8 bytes: this runs for every numeric value of an import.
        let bytes = raw.utf8
        guard !bytes.isEmpty, bytes.count <= 40 else { return nil }
        var index = bytes.startIndex
        if bytes[index] == UInt8(ascii: "-") { index = bytes.index(after: index) }
        guard index != bytes.endIndex else { return nil }
        let firstDigit = bytes[index]
        var dots = 0
        var digits = 0
        var position = index
        while position != bytes.endIndex {
            let byte = bytes[position]
            if byte == UInt8(ascii: ".") { dots += 1 } else if byte >= 0x30 && byte <= 0x39 { digits += 1 } else { return nil }
            position = bytes.index(after: position)
        }
        guard dots <= 1, digits > 0 else { return nil }
        // A leading zero that is not "0" or "0.x" (a code like 007 or a phone like 0044…) stays text.
        let second = bytes.index(after: index)
        if firstDigit == UInt8(ascii: "0"), second != bytes.endIndex, bytes[second] != UInt8(ascii: ".") { return nil }
        guard let value = Double(raw), value.isFinite else { return nil }
        return value
    }

    /// `YYYY-MM-DD`, or an ISO 8601 date-time (kept as written, so text order is time order).
    public static func date(_ raw: String) -> String? {
        let bytes = Array(raw.utf8)
        guard bytes.count == 10 || (bytes.count >= 19 && bytes.count <= 35 && bytes[10] == UInt8(ascii: "T")) else { return nil }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = Int(raw.prefix(4)), let month = Int(raw.dropFirst(5).prefix(2)), let day = Int(raw.dropFirst(8).prefix(2)),
            (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return raw
    }

    public static func boolean(_ raw: String) -> Bool? {
        switch raw.lowercased() {
        case "true", "yes", "y", "1": true
        case "false", "no", "n", "0": false
        default: nil
        }
    }
}
