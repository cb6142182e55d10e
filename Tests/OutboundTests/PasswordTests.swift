import Foundation
import OutboundCore
import Secrets
import Testing

@Suite struct PasswordTests {
    let hasher = PasswordHasher(parameters: .testing)

    @Test func hashesAreSaltedSelfDescribingAndVerify() throws {
        let first = try hasher.hash("correct horse battery staple")
        let second = try hasher.hash("correct horse battery staple")
        #expect(first != second)
        #expect(first.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(hasher.verify("correct horse battery staple", against: first))
        #expect(!hasher.verify("correct horse battery stapl", against: first))
        #expect(!hasher.verify("", against: first))
        #expect(!hasher.verify("x", against: "garbage"))
    }

    @Test func productionParametersAreTheIssuesOnes() {
        #expect(ScryptParameters.interactive == ScryptParameters(logN: 17, r: 8, p: 1))
        #expect(PasswordHasher().parameters == .interactive)
    }

    @Test func theStoredFormCarriesItsOwnCost() throws {
        let strong = try PasswordHasher(parameters: ScryptParameters(logN: 11, r: 8, p: 1)).hash("a password of mine")
        // A hasher with other defaults still verifies it, because the cost is read from the stored form.
        #expect(hasher.verify("a password of mine", against: strong))
    }

    @Test func knownScryptVectorFromRFC7914() throws {
        // RFC 7914 §12, second vector: P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64; we check the first 32 bytes.
        let stored =
            "$scrypt$ln=10,r=8,p=16$\(Base64URL.encode(Array("NaCl".utf8)))$"
            + Base64URL.encode(hex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"))
        #expect(hasher.verify("password", against: stored))
        #expect(!hasher.verify("Password", against: stored))
    }

    @Test func aFullPoolSaysBusyInsteadOfQueueingWithoutBound() async throws {
        let pool = BlockingPool(name: "test", threads: 1, maxPending: 1)
        let gate = DispatchSemaphore(value: 0)
        let (started, didStart) = AsyncStream.makeStream(of: Void.self)
        async let blocker: Void = pool.run {
            didStart.yield()
            gate.wait()
        }  // occupies the only thread
        var startedIterator = started.makeAsyncIterator()
        _ = await startedIterator.next()
        async let queued: Int = pool.run { 1 }  // waits in the one queue slot
        while pool.pendingCount < 1 { await Task.yield() }
        await #expect(throws: BlockingPool.Busy.self) { try await pool.run { 2 } }
        gate.signal()
        try await blocker
        #expect(try await queued == 1)
    }
}

func hex(_ string: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = string.startIndex
    while index < string.endIndex {
        let next = string.index(index, offsetBy: 2)
        bytes.append(UInt8(string[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}
