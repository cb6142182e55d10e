import COpenSSL
import Foundation

/// Random bytes from OpenSSL's CSPRNG (`RAND_bytes`), never from `SystemRandomNumberGenerator` alone, so every
/// secret in Outbound comes from one audited generator.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        // A CSPRNG that cannot produce bytes leaves no safe way on: stopping beats a predictable token.
        precondition(status == 1, "OpenSSL RAND_bytes failed")
        return bytes
    }

    /// A URL- and cookie-safe token carrying `byteCount` random bytes (32 bytes = 256 bits by default).
    public static func token(byteCount: Int = 32) -> String {
        Base64URL.encode(bytes(byteCount))
    }
}

public enum Base64URL {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64).map { [UInt8]($0) }
    }
}
