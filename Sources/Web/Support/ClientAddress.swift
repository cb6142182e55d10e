import Hummingbird

/// The client's address: the socket peer, or — only when that peer is a trusted proxy — the right-most address
/// in `X-Forwarded-For` that is not itself a trusted proxy (addresses to its left could be forged by the client).
enum ClientAddress {
    static func resolve(peer: String?, forwardedFor: String?, trustedProxies: Set<String>) -> String {
        guard let peer else { return "unknown" }
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in hops.reversed() where !trustedProxies.contains(hop) {
            return String(hop.prefix(64))
        }
        return peer
    }
}
