/// A secret (an API key, a password) that never prints: `description`, `debugDescription`, string interpolation
/// and `dump` all show `[redacted]`. Read `.value` only where the secret is actually used.
public struct Redacted: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, CustomLeafReflectable
{
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "[redacted]" }
    public var debugDescription: String { "[redacted]" }
    public var customMirror: Mirror { Mirror(reflecting: "[redacted]") }
    /// The last four characters, which the pages may show to tell keys apart.
    public var lastFour: String { String(value.suffix(4)) }
}
