import Foundation

/// The master keys, each with an id and a state. Exactly one key seals; open-only keys still open values sealed
/// with them (during and after a rotation); retired keys are kept in the file but open nothing.
public struct KeyRing: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case sealing
        case openOnly = "open-only"
        case retired
    }

    public struct Key: Sendable, Equatable {
        public let id: String
        public var state: State
        let material: [UInt8]
    }

    public private(set) var keys: [Key]

    public var sealingKey: Key { keys.first { $0.state == .sealing }! }

    func key(id: String) -> Key? { keys.first { $0.id == id && $0.state != .retired } }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case malformed(line: Int, reason: String)
        case wrongKeyLength(id: String, bytes: Int)
        case sealingKeyCount(Int)
        case duplicateId(String)
        case unknownKey(String)
        case keyInUse(String, values: Int)
        case retiringSealingKey(String)

        public var description: String {
            switch self {
            case .malformed(let line, let reason): "line \(line): \(reason)"
            case .wrongKeyLength(let id, let bytes):
                "key \(id) is \(bytes) bytes; every key must be exactly 32 bytes (base64 of 32 random bytes)"
            case .sealingKeyCount(let count): "it must have exactly one key in state sealing, and has \(count)"
            case .duplicateId(let id): "the key id \(id) appears twice"
            case .unknownKey(let id): "there is no key \(id)"
            case .keyInUse(let id, let values): "key \(id) still seals \(values) value(s); run `outbound keys rotate` until none use it"
            case .retiringSealingKey(let id): "key \(id) is the sealing key; rotate first"
            }
        }
    }

    static let header = "outbound-keyring v1"

    /// A new ring with one sealing key.
    public static func generate() -> KeyRing {
        KeyRing(keys: [Key(id: "k1", state: .sealing, material: SecureRandom.bytes(32))])
    }

    /// Reads the text format:
    /// ```
    /// outbound-keyring v1
    /// # comments and blank lines are ignored
    /// k1 open-only <base64 of 32 bytes>
    /// k2 sealing <base64 of 32 bytes>
    /// ```
    public static func parse(_ text: String) throws -> KeyRing {
        var keys: [Key] = []
        var sawHeader = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if !sawHeader {
                guard line == header else { throw Problem.malformed(line: index + 1, reason: "the first line must be `\(header)`") }
                sawHeader = true
                continue
            }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3 else { throw Problem.malformed(line: index + 1, reason: "expected `<id> <state> <base64 key>`") }
            let id = String(fields[0])
            guard id.range(of: "^[A-Za-z0-9_-]{1,32}$", options: .regularExpression) != nil else {
                throw Problem.malformed(line: index + 1, reason: "a key id is 1 to 32 letters, digits, - or _")
            }
            guard let state = State(rawValue: String(fields[1])) else {
                throw Problem.malformed(line: index + 1, reason: "the state must be sealing, open-only or retired")
            }
            guard let material = Data(base64Encoded: String(fields[2])) else {
                throw Problem.malformed(line: index + 1, reason: "the key is not valid base64")
            }
            guard material.count == 32 else { throw Problem.wrongKeyLength(id: id, bytes: material.count) }
            guard !keys.contains(where: { $0.id == id }) else { throw Problem.duplicateId(id) }
            keys.append(Key(id: id, state: state, material: [UInt8](material)))
        }
        guard sawHeader else { throw Problem.malformed(line: 1, reason: "the first line must be `\(header)`") }
        let sealing = keys.filter { $0.state == .sealing }.count
        guard sealing == 1 else { throw Problem.sealingKeyCount(sealing) }
        return KeyRing(keys: keys)
    }

    public func serialized() -> String {
        var text = """
            \(Self.header)
            # Outbound's master keys. Keep this file secret (mode 0600) and backed up with the database:
            # without it, the API keys stored in outbound.sqlite cannot be read.
            # One key a line: <id> <state> <base64 of 32 bytes>; state is sealing (exactly one), open-only or retired.

            """
        for key in keys { text += "\(key.id) \(key.state.rawValue) \(Data(key.material).base64EncodedString())\n" }
        return text
    }

    /// The newest key id + 1 (`k3` after `k2`).
    func nextId() -> String {
        let numbers = keys.compactMap { $0.id.hasPrefix("k") ? Int($0.id.dropFirst()) : nil }
        return "k\((numbers.max() ?? 0) + 1)"
    }

    /// Rotation, step one: a fresh key that can already open (so that every process can read what it will seal).
    public mutating func addOpenOnlyKey() -> String {
        let id = nextId()
        keys.append(Key(id: id, state: .openOnly, material: SecureRandom.bytes(32)))
        return id
    }

    /// Rotation, step two: `id` seals from now on; the previous sealing key stays able to open.
    public mutating func makeSealing(_ id: String) throws {
        guard let index = keys.firstIndex(where: { $0.id == id && $0.state != .retired }) else { throw Problem.unknownKey(id) }
        for other in keys.indices where keys[other].state == .sealing { keys[other].state = .openOnly }
        keys[index].state = .sealing
    }

    public mutating func retire(_ id: String) throws {
        guard let index = keys.firstIndex(where: { $0.id == id }) else { throw Problem.unknownKey(id) }
        guard keys[index].state != .sealing else { throw Problem.retiringSealingKey(id) }
        keys[index].state = .retired
    }

    /// The newest open-only key, if it is newer than the sealing key: a rotation that stopped after step one.
    public var pendingKeyId: String? {
        func number(_ id: String) -> Int { Int(id.dropFirst()) ?? 0 }
        let sealing = number(sealingKey.id)
        return keys.filter { $0.state == .openOnly && number($0.id) > sealing }.map(\.id).max { number($0) < number($1) }
    }
}
