import OutboundCore
import Secrets

/// Hashes and verifies passwords on a small dedicated thread pool: scrypt takes about 0.4 s and 128 MiB here, and
/// on the threads tasks run on (NIO's event loops) two sign-ins would stall every other request. A full pool throws
/// `BlockingPool.Busy`.
public struct PasswordService: Sendable {
    let hasher: PasswordHasher
    let pool: BlockingPool

    public init(parameters: ScryptParameters, threads: Int, queueLimit: Int) {
        self.hasher = PasswordHasher(parameters: parameters)
        self.pool = BlockingPool(name: "password-hash", threads: threads, maxPending: queueLimit)
    }

    public func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await pool.run { try hasher.hash(password) }
    }

    /// Verifies against `stored`, or against a decoy of the same cost when there is no account, so an unknown
    /// email and a wrong password take the same time and answer alike.
    public func verify(_ password: String, against stored: String?) async throws -> Bool {
        let hasher = self.hasher
        return try await pool.run {
            let matches = hasher.verify(password, against: stored ?? hasher.decoy())
            return stored != nil && matches
        }
    }
}
