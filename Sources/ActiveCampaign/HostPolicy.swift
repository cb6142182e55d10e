import Foundation

/// Which hosts an API key may be sent to. ActiveCampaign's API hosts look like `<account>.api-<region><n>.com`;
/// anything else — the web-app host, IP literals in any notation, names that resolve to private, loopback,
/// link-local, CGNAT, multicast or reserved addresses — is refused, unless the operator allowed that host
/// (`--allow-destination-host`), which is how the sandbox on 127.0.0.1 is used.
public struct HostPolicy: Sendable {
    /// A normalised destination: host name (lower-case) and port, when one was given.
    public struct Destination: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int?
        public var description: String { port.map { "\(host):\($0)" } ?? host }

        public init(host: String, port: Int? = nil) {
            self.host = host
            self.port = port
        }
    }

    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case malformed
        case webAppHost(String)
        case ipLiteral
        case notActiveCampaign(String)
        case unresolvable(String)
        case forbiddenAddress(host: String, address: String)

        public var description: String {
            switch self {
            case .empty:
                "Enter the API URL from Settings > Developer in ActiveCampaign, like acme.api-us1.com."
            case .malformed:
                "This is not a host name. Enter the API URL from Settings > Developer in ActiveCampaign, like acme.api-us1.com."
            case .webAppHost(let host):
                "\(host) is ActiveCampaign's web app, not its API. Copy the API URL from Settings > Developer in ActiveCampaign (it looks like acme.api-us1.com)."
            case .ipLiteral:
                "Enter ActiveCampaign's API host name, not an IP address. (An operator can allow a host with --allow-destination-host.)"
            case .notActiveCampaign(let host):
                "\(host) does not look like an ActiveCampaign API host (<account>.api-us1.com). Copy the API URL from Settings > Developer. (An operator can allow another host with --allow-destination-host.)"
            case .unresolvable(let host):
                "The host name \(host) was not found. Check the API URL under Settings > Developer in ActiveCampaign."
            case .forbiddenAddress(let host, _):
                "\(host) points to a private or reserved network address, so Outbound will not send a key there. (An operator can allow a host with --allow-destination-host.)"
            }
        }
    }

    /// Hosts (optionally with a port) the operator allowed, with the scheme to use: https unless the entry says
    /// `http://` or the host is a loopback address (the sandbox on 127.0.0.1), so allowing a host never sends a
    /// key over plain http by accident.
    public let allowed: [Destination: String]

    public init(allowedHosts: [String] = []) {
        var allowed: [Destination: String] = [:]
        for entry in allowedHosts {
            var text = entry.lowercased().trimmingCharacters(in: .whitespaces)
            var scheme: String?
            if text.hasPrefix("https://") {
                scheme = "https"
                text.removeFirst(8)
            } else if text.hasPrefix("http://") {
                scheme = "http"
                text.removeFirst(7)
            }
            while text.hasSuffix("/") { text.removeLast() }
            if let destination = Self.parseHostPort(text) {
                allowed[destination] = scheme ?? (Self.isLoopback(destination.host) ? "http" : "https")
            }
        }
        self.allowed = allowed
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || (host.hasPrefix("127.") && IPLiteral.isLiteral(host))
    }

    /// The allowed destinations an API key would travel to over plain http (for a warning at start).
    public var plainHTTPDestinations: [String] {
        allowed.filter { $0.value == "http" }.map { entry in
            entry.key.port.map { "\(entry.key.host):\($0)" } ?? entry.key.host
        }.sorted()
    }

    public func isAllowedByOperator(_ destination: Destination) -> Bool { operatorScheme(destination) != nil }

    /// The scheme for an operator-allowed destination, nil for every other one (those use https).
    public func operatorScheme(_ destination: Destination) -> String? {
        allowed[destination] ?? (destination.port == nil ? allowed[Destination(host: destination.host, port: nil)] : nil)
    }

    /// Turns what a person pasted (`https://acme.api-us1.com/api/3/`, `ACME.api-us1.com.`, …) into a
    /// destination, or refuses it. `changed` tells the page to say it was normalised.
    public func normalise(_ input: String) throws(Refusal) -> (destination: Destination, changed: Bool) {
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .empty }
        var text = trimmed
        if let range = text.range(of: "://") {
            let scheme = text[..<range.lowerBound].lowercased()
            guard scheme == "https" || scheme == "http" else { throw .malformed }
            text = String(text[range.upperBound...])
        }
        if let slash = text.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { text = String(text[..<slash]) }
        guard !text.contains("@") else { throw .malformed }  // userinfo would hide the real host
        text = text.lowercased()
        guard let destination = Self.parseHostPort(text) else { throw .malformed }
        var host = destination.host
        while host.hasSuffix(".") { host.removeLast() }
        let normalised = Destination(host: host, port: destination.port)
        if isAllowedByOperator(normalised) { return (normalised, normalised.description != trimmed) }
        if IPLiteral.isLiteral(host) { throw .ipLiteral }
        guard normalised.port == nil || normalised.port == 443 else { throw .notActiveCampaign(normalised.description) }
        let result = Destination(host: host, port: nil)
        if host == "activehosted.com" || host.hasSuffix(".activehosted.com") { throw .webAppHost(host) }
        guard host.range(of: #"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.api-[a-z]{2,5}[0-9]{1,3}\.com$"#, options: .regularExpression) != nil
        else {
            throw .notActiveCampaign(host)
        }
        return (result, result.description != trimmed)
    }

    /// Checks resolved addresses: every one must be public, unless the operator allowed the host.
    public func check(_ destination: Destination, addresses: [String]) throws(Refusal) -> String {
        guard let first = addresses.first else { throw .unresolvable(destination.host) }
        if isAllowedByOperator(destination) { return first }
        for address in addresses where !IPLiteral.isPublic(address) {
            throw .forbiddenAddress(host: destination.host, address: address)
        }
        return first
    }

    static func parseHostPort(_ text: String) -> Destination? {
        if text.hasPrefix("[") {  // [v6]:port
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return Destination(host: host) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return Destination(host: host, port: port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count > 2 { return Destination(host: text) }  // a bare IPv6 literal
        guard let host = parts.first, !host.isEmpty, host.count <= 253,
            host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }),
            host.unicodeScalars.allSatisfy(\.isASCII)
        else { return nil }
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
            return Destination(host: String(host), port: port)
        }
        return Destination(host: String(host))
    }
}

/// IP literals in every notation a resolver accepts, and which addresses are public.
public enum IPLiteral {
    /// True for anything `inet_aton` or `inet_pton` would read as an address: dotted quads, decimal
    /// (`2130706433`), octal (`0177.0.0.1`), hex (`0x7f.1`), shortened forms (`127.1`), IPv6 and IPv4-mapped IPv6.
    public static func isLiteral(_ host: String) -> Bool {
        if host.contains(":") { return true }
        var address = in_addr()
        if inet_aton(host, &address) != 0 { return true }
        // inet_aton refuses some forms resolvers still take, like a trailing dot: treat all-numeric labels as literal.
        let labels = host.split(separator: ".")
        return !labels.isEmpty
            && labels.allSatisfy { label in
                label.allSatisfy(\.isHexDigit) && (label.allSatisfy(\.isNumber) || label.lowercased().hasPrefix("0x"))
                    || label.lowercased().hasPrefix("0x") && label.dropFirst(2).allSatisfy(\.isHexDigit)
            }
    }

    /// False for loopback, private, link-local, CGNAT, multicast, documentation, benchmarking and reserved ranges
    /// (IPv4 and IPv6, IPv4-mapped addresses judged by their IPv4 part).
    public static func isPublic(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return isPublicV4(UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {  // ::ffff:a.b.c.d
            return isPublicV4(UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
        }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return false }  // ::, ::1, IPv4-compatible
        if bytes[0] == 0xff { return false }  // multicast
        if bytes[0] & 0xfe == 0xfc { return false }  // unique local fc00::/7
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return false }  // link-local fe80::/10
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return false }  // site-local fec0::/10
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return false }  // 2001:db8::/32
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b { return false }  // NAT64 64:ff9b::/96
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return false }  // 6to4 2002::/16 (embeds IPv4)
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0 && bytes[3] == 0 { return false }  // Teredo 2001::/32
        return true
    }

    static func isPublicV4(_ address: UInt32) -> Bool {
        func within(_ network: UInt32, _ bits: UInt32) -> Bool {
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
            return address & mask == network & mask
        }
        let blocked: [(UInt32, UInt32)] = [
            (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16),
            (0xAC10_0000, 12), (0xC000_0000, 24), (0xC000_0200, 24), (0xC058_6300, 24), (0xC0A8_0000, 16),
            (0xC612_0000, 15), (0xC633_6400, 24), (0xCB00_7100, 24), (0xE000_0000, 4), (0xF000_0000, 4),
        ]
        return !blocked.contains { within($0.0, $0.1) }
    }
}
