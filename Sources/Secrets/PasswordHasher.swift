import COpenSSL
import Foundation

/// scrypt cost parameters. Production uses `.interactive` (N=2^17, r=8, p=1: about 128 MiB and 0.4 s here);
/// tests lower the cost only by passing another value explicitly.
public struct ScryptParameters: Sendable, Equatable, CustomStringConvertible {
    public var logN: Int
    public var r: Int
    public var p: Int

    public init(logN: Int, r: Int, p: Int) {
        self.logN = logN
        self.r = r
        self.p = p
    }

    public static let interactive = ScryptParameters(logN: 17, r: 8, p: 1)
    /// Only for tests: a small cost that keeps suites fast. Never the default anywhere.
    public static let testing = ScryptParameters(logN: 10, r: 8, p: 1)

    public var n: UInt64 { 1 << UInt64(logN) }
    /// The memory scrypt needs (128·r·(N+p+2) bytes) plus headroom; OpenSSL refuses above `maxmem`.
    var maxMemory: UInt64 { 128 * UInt64(r) * (n + UInt64(p) + 2) + 1 << 20 }
    public var description: String { "ln=\(logN),r=\(r),p=\(p)" }
}

/// Password hashing with scrypt via OpenSSL `EVP_PBE_scrypt`.
/// Stored form: `$scrypt$ln=17,r=8,p=1$<salt base64url>$<hash base64url>`: self-describing, so cost can rise later
/// and old hashes still verify. The whole password is hashed; nothing is truncated.
public struct PasswordHasher: Sendable {
    public let parameters: ScryptParameters
    static let saltLength = 16
    static let hashLength = 32

    public init(parameters: ScryptParameters = .interactive) {
        self.parameters = parameters
    }

    public enum Failure: Error { case hashingFailed }

    public func hash(_ password: String) throws -> String {
        let salt = SecureRandom.bytes(Self.saltLength)
        let derived = try Self.derive(Array(password.utf8), salt: salt, parameters: parameters)
        return "$scrypt$\(parameters)$\(Base64URL.encode(salt))$\(Base64URL.encode(derived))"
    }

    /// True when `password` matches `stored`; false for a mismatch or a stored form it cannot read.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let parsed = Self.parse(stored),
            let derived = try? Self.derive(Array(password.utf8), salt: parsed.salt, parameters: parsed.parameters)
        else { return false }
        return ConstantTime.equals(derived, parsed.hash)
    }

    /// A stored form with this hasher's parameters, for verifying against when the account does not exist, so that
    /// an unknown email costs the same time as a wrong password.
    public func decoy() -> String {
        "$scrypt$\(parameters)$\(Base64URL.encode([UInt8](repeating: 7, count: Self.saltLength)))$\(Base64URL.encode([UInt8](repeating: 0, count: Self.hashLength)))"
    }

    static func parse(_ stored: String) -> (parameters: ScryptParameters, salt: [UInt8], hash: [UInt8])? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for pair in parts[2].split(separator: ",") {
            let kv = pair.split(separator: "=")
            guard kv.count == 2, let value = Int(kv[1]) else { return nil }
            values[String(kv[0])] = value
        }
        guard let logN = values["ln"], let r = values["r"], let p = values["p"],
            (1...22).contains(logN), (1...32).contains(r), (1...16).contains(p),
            let salt = Base64URL.decode(parts[3]), let hash = Base64URL.decode(parts[4]), hash.count == hashLength
        else { return nil }
        return (ScryptParameters(logN: logN, r: r, p: p), salt, hash)
    }

    static func derive(_ password: [UInt8], salt: [UInt8], parameters: ScryptParameters) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: hashLength)
        let status = password.withUnsafeBufferPointer { pass in
            salt.withUnsafeBufferPointer { saltBuffer in
                output.withUnsafeMutableBufferPointer { out in
                    // An empty password still needs a non-null pointer for OpenSSL.
                    pass.baseAddress.map { base in
                        base.withMemoryRebound(to: CChar.self, capacity: pass.count) { passChars in
                            EVP_PBE_scrypt(
                                passChars,
                                pass.count,
                                saltBuffer.baseAddress,
                                saltBuffer.count,
                                parameters.n,
                                UInt64(parameters.r),
                                UInt64(parameters.p),
                                parameters.maxMemory,
                                out.baseAddress,
                                out.count
                            )
                        }
                    }
                        ?? EVP_PBE_scrypt(
                            "",
                            0,
                            saltBuffer.baseAddress,
                            saltBuffer.count,
                            parameters.n,
                            UInt64(parameters.r),
                            UInt64(parameters.p),
                            parameters.maxMemory,
                            out.baseAddress,
                            out.count
                        )
                }
            }
        }
        guard status == 1 else { throw Failure.hashingFailed }
        return output
    }
}
