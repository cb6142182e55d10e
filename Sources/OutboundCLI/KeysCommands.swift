import ArgumentParser
import Foundation
import Secrets
import Store

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the key ring that seals stored API keys.",
        discussion: "The key ring file format is described in docs/key-ring.md.",
        subcommands: [Status.self, Rotate.self, Retire.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys, their states and how many values each seals.")
        @OptionGroup var data: DataOptions

        func run() async throws {
            let (database, vault) = try data.openDatabaseAndVault()
            let counts = try await database.sealedValueCountsByKey()
            print("Key ring \(data.keyRingFile.path)")
            for key in vault.ring.keys {
                print(
                    "  \(key.id)  \(key.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  seals \(counts[key.id, default: 0]) value(s)"
                )
            }
            let unknown = counts.filter { id, _ in !vault.ring.keys.contains { $0.id == id } }
            for (id, count) in unknown.sorted(by: { $0.key < $1.key }) {
                print("  \(id)  NOT IN THE KEY RING  \(count) value(s) cannot be opened; run `outbound doctor`")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new sealing key and re-seal every stored value with it, while Outbound keeps running.",
            discussion: """
                The new key is first added as open-only, then made the sealing key; values are re-sealed in batches \
                with compare-and-swap, so a value changed meanwhile is never overwritten. Running servers pick up \
                the new key by themselves (or on SIGHUP). If a rotation stopped part-way, running this again \
                finishes it instead of adding another key.
                """
        )
        @OptionGroup var data: DataOptions
        @Option(help: "Values re-sealed per batch.") var batchSize = 500

        func validate() throws {
            guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000.") }
        }

        func run() async throws {
            let (database, _) = try data.openDatabaseAndVault()
            let report = try await KeyRotation(database: database, file: data.keyRingFile, batchSize: batchSize).run()
            print("Sealing key is now \(report.newKeyId). Re-sealed \(report.resealed) value(s).")
            if report.changedMeanwhile > 0 {
                print(
                    "\(report.changedMeanwhile) value(s) changed during the rotation and were left as they were; run `outbound keys rotate` again to finish."
                )
            }
            if !report.unreadable.isEmpty {
                print("Could not open: \(report.unreadable.joined(separator: ", ")). Run `outbound doctor`.")
                throw ExitCode.failure
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retire a key that no stored value uses any more.")
        @OptionGroup var data: DataOptions
        @Option(help: "The key id, as `outbound keys status` lists it.") var id: String

        func run() async throws {
            let (database, vault) = try data.openDatabaseAndVault()
            var ring = vault.ring
            let inUse = try await database.sealedValueCountsByKey()[id, default: 0]
            do {
                try ring.retire(id)
                guard inUse == 0 else { throw KeyRing.Problem.keyInUse(id, values: inUse) }
            } catch let problem as KeyRing.Problem {
                throw CLIError("Cannot retire \(id): \(problem).")
            }
            try data.keyRingFile.save(ring)
            print("Retired \(id).")
        }
    }
}

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open every sealed value and list those that fail (row ids only, never values)."
    )
    @OptionGroup var data: DataOptions

    func run() async throws {
        let (database, vault) = try data.openDatabaseAndVault()
        var opened = 0
        var failed: [String] = []
        for column in SealedColumn.all {
            var after: Int64 = 0
            while true {
                let batch = try await database.sealedValues(in: column, afterRowId: after, limit: 1_000)
                guard let last = batch.last else { break }
                after = last.rowId
                for secret in batch {
                    if (try? vault.open(secret.sealed, context: secret.context)) != nil {
                        opened += 1
                    } else {
                        failed.append("\(column) row \(secret.rowId)")
                    }
                }
            }
        }
        print("Opened \(opened) sealed value(s).")
        if !failed.isEmpty {
            print("Cannot open \(failed.count): \(failed.joined(separator: ", ")).")
            print("Restore the key ring from a backup, or replace those API keys in Admin > Connections.")
            throw ExitCode.failure
        }
    }
}
