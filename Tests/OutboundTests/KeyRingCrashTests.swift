import Foundation
import Secrets
import Store
import Testing

/// A crash at any step of writing the key ring during `keys rotate` never leaves an older ring than the sealed
/// values need: `doctor` opens every value, and running the rotation again finishes it.
@Suite struct KeyRingCrashTests {
    struct Injected: Error {}

    /// Fails the `save`-th write of the ring at `step`, once.
    final class Fault: @unchecked Sendable {
        private let lock = NSLock()
        private var saves = 0
        private var fired = false
        let save: Int
        let step: KeyRingFile.SaveStep

        init(save: Int, step: KeyRingFile.SaveStep) {
            self.save = save
            self.step = step
        }

        func check(_ current: KeyRingFile.SaveStep) throws {
            let fail = lock.withLock { () -> Bool in
                if current == .created { saves += 1 }
                guard !fired, saves == save, current == step else { return false }
                fired = true
                return true
            }
            if fail { throw Injected() }
        }
    }

    static let cases: [(Int, KeyRingFile.SaveStep)] = [1, 2].flatMap { save in KeyRingFile.SaveStep.allCases.map { (save, $0) } }

    @Test(arguments: cases)
    func aFaultAtAnyStepOfARotationLeavesARingThatOpensEveryValue(save: Int, step: KeyRingFile.SaveStep) async throws {
        let fixture = try await SealedFixture.make(count: 3)
        let fault = Fault(save: save, step: step)
        let faulty = KeyRingFile(path: fixture.file.path) { try fault.check($0) }
        await #expect(throws: Injected.self) { _ = try await KeyRotation(database: fixture.database, file: faulty).run() }

        let files = try FileManager.default.contentsOfDirectory(atPath: fixture.directory)
        #expect(!files.contains { $0.contains(".tmp-") }, "a temporary ring was left behind: \(files)")
        var info = stat()
        #expect(stat(fixture.file.path, &info) == 0 && Int(info.st_mode) & 0o077 == 0)
        let afterCrash = try CLI.run(["doctor", "--data-dir", fixture.directory])
        #expect(afterCrash.status == 0, "\(afterCrash.output)")
        #expect(afterCrash.output.contains("Opened 3 sealed value(s)."))

        let again = try await KeyRotation(database: fixture.database, file: fixture.file).run()
        #expect(again.unreadable.isEmpty)
        let counts = try await fixture.database.sealedValueCountsByKey()
        #expect(counts == [again.newKeyId: 3])
        let finished = try CLI.run(["doctor", "--data-dir", fixture.directory])
        #expect(finished.status == 0 && finished.output.contains("Opened 3 sealed value(s)."))
    }

    @Test func aLinkPlacedWhereATemporaryRingCouldBeIsNeverWrittenThrough() throws {
        let directory = try temporaryDirectory()
        let file = KeyRingFile(path: directory + "/master.key")
        // The temporary name an older version used: a planted link there received the whole ring.
        #expect(symlink(directory + "/leaked.txt", file.path + ".tmp-\(getpid())") == 0)
        try file.save(KeyRing.generate())
        #expect(!FileManager.default.fileExists(atPath: directory + "/leaked.txt"))
        #expect(try file.load().keys.count == 1)
    }
}
