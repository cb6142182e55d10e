import COpenSSL

public enum Digest {
    /// SHA-256 through OpenSSL's one-shot EVP digest.
    public static func sha256(_ input: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(input)
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let status = bytes.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                EVP_Digest(inputBuffer.baseAddress, inputBuffer.count, outputBuffer.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        precondition(status == 1 && length == 32, "OpenSSL SHA-256 failed")
        return output
    }

    public static func sha256Hex(_ text: String) -> String {
        sha256(Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

public enum ConstantTime {
    /// Compares without leaking where the first difference is (OpenSSL `CRYPTO_memcmp`).
    public static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, lhs.count) == 0
            }
        }
    }
}

/// SHA-256 of many short inputs in a row (a freeze's million emails): one OpenSSL context and one fetched
/// algorithm reused, where `Digest.sha256` sets both up per call. Not thread-safe: one per task.
public final class ReusableSHA256 {
    private let context: OpaquePointer
    private let algorithm: OpaquePointer
    private var output = [UInt8](repeating: 0, count: 32)

    public init() {
        guard let context = EVP_MD_CTX_new(), let algorithm = EVP_MD_fetch(nil, "SHA256", nil) else {
            preconditionFailure("OpenSSL has no SHA-256")
        }
        self.context = context
        self.algorithm = algorithm
    }

    deinit {
        EVP_MD_CTX_free(context)
        EVP_MD_free(algorithm)
    }

    /// The digest's first 128 bits: a collision between two distinct inputs needs about 2^64 tries, also for
    /// inputs chosen to collide (which a non-cryptographic hash would not resist).
    public func prefix128(_ text: String) -> (UInt64, UInt64) {
        var text = text
        return text.withUTF8 { bytes in
            output.withUnsafeMutableBufferPointer { out in
                var length: UInt32 = 0
                let status =
                    EVP_DigestInit_ex2(context, algorithm, nil) == 1
                    && EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1
                    && EVP_DigestFinal_ex(context, out.baseAddress, &length) == 1
                precondition(status && length == 32, "OpenSSL SHA-256 failed")
                let raw = UnsafeRawBufferPointer(out)
                return (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
        }
    }
}
