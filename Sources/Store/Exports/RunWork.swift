import Foundation
import GRDB
import OutboundCore

/// What a run needs to know about its export, read and checked at prepare.
public struct RunSubject: Sendable {
    public var run: ExportRun
    public var export: Export
    public var connection: Connection?
    /// True when the connection's export user is still an administrator of the workspace.
    public var exportUserIsAdmin: Bool
    public var exportUserEmail: String?
    /// Distinct profiles in the union of the export's segments (their current generations).
    public var memberCount: Int
    public var emailPath: String?
    public var firstNamePath: String?
    public var lastNamePath: String?
    public var phonePath: String?
}

/// The counts a freeze produced.
public struct FreezeCounts: Sendable, Equatable {
    public var members = 0
    public var duplicates = 0
    public var valid = 0
    public var invalid = 0
    public var unchanged = 0
    public var held = 0
    public var toSend = 0
    public var toUnsubscribe = 0
    public var batches = 0
    public init() {}

    /// Contacts to send that were left out of their batch (forgotten during the freeze): not counted at all.
    mutating func leaveOut(_ contacts: Int) {
        members -= contacts
        valid -= contacts
        toSend -= contacts
    }
}

/// A run's reads and writes while the engine works on it: prepare, freeze, batches, confirmation, finish. Writes
/// are short transactions, so the web app and other runs are not kept waiting; the longest is a ledger merge (every
/// 250,000 delivered contacts: 0.6–0.9 s into a ledger of up to a million, well within the 5 s busy timeout).
public struct RunWork: Sendable {
    let database: AppDatabase
    /// Contacts per batch (the importer takes 250) and the payload budget under its 400,000 bytes.
    public static let maxBatchContacts = 250
    public static let maxBatchBytes = 380_000
    /// A contact rejected this many runs in a row with the same data is held until its data changes.
    public static let rejectHoldAfter = 3
    /// Profile rows a freeze reads and writes at a time (its arrays of a chunk are most of its memory after the
    /// set of met emails).
    static let freezeChunk: Int64 = 10_000
    /// Batches made by halving a refused one are numbered from here (the planner's stay far below).
    static let splitSeqBase: Int64 = 1 << 40

    public init(database: AppDatabase) { self.database = database }

    public func run(id: Int64) async throws -> ExportRun? {
        try await database.reader.read { db in try ExportRun.fetchOne(db, key: id) }
    }

    // MARK: Prepare

    public func subject(runId: Int64) async throws -> RunSubject? {
        try await database.reader.read { db in
            guard let run = try ExportRun.fetchOne(db, key: runId),
                let export = try Export.filter(Export.Columns.tenantId == run.tenantId && Export.Columns.id == run.exportId).fetchOne(db)
            else { return nil }
            let connection = try export.connectionId.flatMap { try Connection.fetchOne(db, tenantId: run.tenantId, id: $0) }
            var isAdmin = false
            var email: String?
            if let userId = connection?.exportUserId {
                email = try String.fetchOne(db, sql: "SELECT email FROM user WHERE id = ?", arguments: [userId])
                isAdmin =
                    try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM membership WHERE tenantId = ? AND userId = ? AND role = 'admin'",
                        arguments: [run.tenantId, userId]
                    ) == 1
            }
            func path(_ id: Int64?) throws -> String? {
                guard let id else { return nil }
                return try Attribute.filter(Attribute.Columns.tenantId == run.tenantId && Attribute.Columns.id == id).fetchOne(db)?.path
            }
            let members = try AppDatabase.memberCount(db, tenantId: run.tenantId, exportId: export.id!)
            return RunSubject(
                run: run,
                export: export,
                connection: connection,
                exportUserIsAdmin: isAdmin,
                exportUserEmail: email,
                memberCount: members,
                emailPath: try path(export.emailAttributeId),
                firstNamePath: try path(export.firstNameAttributeId),
                lastNamePath: try path(export.lastNameAttributeId),
                phonePath: try path(export.phoneAttributeId)
            )
        }
    }

    /// Adds one page of the list's current members to the export's baseline (mirror never unsubscribes them).
    public func addToBaseline(exportId: Int64, emails: [String]) async throws {
        guard !emails.isEmpty else { return }
        let json = JSONList.of(emails.map { $0.lowercased() })
        try await database.writer.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO exportBaseline (exportId, email) SELECT ?, value FROM json_each(?)",
                arguments: [exportId, json]
            )
        }
    }

    /// The list's members were read to the end: later runs may unsubscribe what the export added.
    public func markBaselineRead(exportId: Int64) async throws {
        try await database.writer.write { db in
            try db.execute(sql: "UPDATE export SET baselineState = 'read' WHERE id = ? AND baselineState = 'needed'", arguments: [exportId])
        }
    }

    // MARK: Freeze

    /// Reads the run's contacts in chunks of profile rows, decides for each whether to send it (new, changed, or a
    /// recent reject), and stores those in batches, calling `planned` whenever batches were added: the
    /// engine sends them while the freeze goes on. Every chunk is read from one snapshot of the database, so a
    /// segment refreshed meanwhile changes nothing in the run. Starts from scratch when called again (a crash
    /// during prepare: its batches already sent go again, which an upsert by email makes safe).
    public func freeze(_ subject: RunSubject, planned: @Sendable () -> Void = {}) async throws -> FreezeCounts {
        let members = try database.consistentReader()
        for _ in 0..<3 {
            let generations = try await segmentGenerations(subject, reader: members)
            let counts = try await freezeOnce(subject, generations: generations, members: members, planned: planned)
            // Always true on a snapshot (a file database, as in production and the engine's tests); a database in
            // memory reads the latest generations, and a refresh between two chunks makes the freeze start over.
            if try await segmentGenerations(subject, reader: members) == generations { return counts }
        }
        throw FreezeProblem.segmentsKeptChanging
    }

    public enum FreezeProblem: Error, CustomStringConvertible {
        case segmentsKeptChanging
        public var description: String { "The export's segments were refreshed three times while the run read them; it will run again." }
    }

    private func segmentGenerations(_ subject: RunSubject, reader: any DatabaseReader) async throws -> [Int64: Int64] {
        try await reader.read { db in
            var result: [Int64: Int64] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.generation FROM exportSegment es JOIN segment s ON s.id = es.segmentId AND s.tenantId = ?
                    WHERE es.exportId = ?
                    """,
                arguments: [subject.run.tenantId, subject.export.id]
            ) {
                result[row[0]] = row[1]
            }
            return result
        }
    }

    private func freezeOnce(
        _ subject: RunSubject,
        generations: [Int64: Int64],
        members: any DatabaseReader,
        planned: @Sendable () -> Void
    ) async throws -> FreezeCounts {
        let runId = subject.run.id!
        try await database.writer.write { db in
            // What a crashed attempt's confirmed batches delivered stays known before its rows go.
            try Self.recordDeliveredIfRunning(db, runId: runId, exportId: subject.export.id!)
            try db.execute(sql: "DELETE FROM runContact WHERE runId = ?", arguments: [runId])
            try db.execute(sql: "DELETE FROM runBatch WHERE runId = ?", arguments: [runId])
            // What an earlier attempt sent is counted again as its batches go again.
            try db.execute(
                sql:
                    "UPDATE exportRun SET sent = 0, accepted = 0, rejected = 0, unsubscribed = 0, batches = 0, batchesConfirmed = 0 WHERE id = ?",
                arguments: [runId]
            )
        }
        // An incremental run of a large export finds almost every contact unchanged: those are only counted, not
        // written, so the emails the freeze met are kept here, for its duplicates and the mirror's removals.
        let seen = SeenEmails(expected: subject.memberCount)
        return try await freezeRows(subject, generations: generations, members: members, seen: seen, planned: planned)
    }

    private func freezeRows(
        _ subject: RunSubject,
        generations: [Int64: Int64],
        members: any DatabaseReader,
        seen: SeenEmails,
        planned: @Sendable () -> Void
    ) async throws -> FreezeCounts {
        let runId = subject.run.id!
        let tenantId = subject.run.tenantId
        let exportId = subject.export.id!
        let bounds = try await members.read { db -> (Int64?, Int64?) in
            let row = try Row.fetchOne(db, sql: "SELECT MIN(rowId), MAX(rowId) FROM profile WHERE tenantId = ?", arguments: [tenantId])
            return (row?[0], row?[1])
        }
        // A first run (or one after the list changed) has nothing to compare with: no lookups.
        let ledgerIsEmpty = try await database.reader.read { db in
            try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM exportLedger WHERE exportId = ?)", arguments: [exportId]) ?? true
        }
        var counts = FreezeCounts()
        var planner = BatchPlanner()
        // Driven from the members (their primary key is segment, generation, profile row): a chunk reads only the
        // profiles in the export's segments, whatever share of the workspace they are. One segment's members are
        // joined in key order; several segments may share a profile, so theirs are an `IN` set (an ephemeral
        // table SQLite builds per chunk, a third of a million-row read's cost: one segment goes without).
        let segmentFilter =
            generations.isEmpty ? "0" : generations.map { _ in "(sm.segmentId = ? AND sm.generation = ?)" }.joined(separator: " OR ")
        let membersSQL =
            generations.count == 1
            ? """
            FROM segmentMember sm JOIN profile p ON p.rowId = sm.profileRowId
            WHERE \(segmentFilter) AND sm.profileRowId > ? AND sm.profileRowId <= ? AND p.tenantId = ?
            ORDER BY sm.profileRowId
            """
            : """
            FROM profile p
            WHERE p.rowId IN (
                SELECT sm.profileRowId FROM segmentMember sm
                WHERE (\(segmentFilter)) AND sm.profileRowId > ? AND sm.profileRowId <= ?)
              AND p.tenantId = ?
            ORDER BY p.rowId
            """
        let segmentArguments: [(any DatabaseValueConvertible)?] = generations.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        if let low = bounds.0, let high = bounds.1 {
            var start = low - 1
            while start < high {
                let end = min(start + Self.freezeChunk, high)
                let chunk = (start + 1)...end
                var arguments: [(any DatabaseValueConvertible)?] = [
                    subject.emailPath ?? "$.none", subject.firstNamePath ?? "$.none", subject.lastNamePath ?? "$.none",
                    subject.phonePath ?? "$.none",
                ]
                arguments += segmentArguments
                arguments += [start, end, tenantId]
                let chunkArguments = StatementArguments(arguments)
                try Task.checkCancellation()  // the run was canceled or failed while sending
                let contacts = try await members.read { db in
                    // Columns are read straight from the statement: through `Row`'s generic subscripts, decoding
                    // cost as much as the query (a million rows, six columns).
                    let statement = try db.cachedStatement(
                        sql: """
                            SELECT p.rowId, p.profileId, json_extract(p.attributes, ?), json_extract(p.attributes, ?),
                                   json_extract(p.attributes, ?), json_extract(p.attributes, ?)
                            \(membersSQL)
                            """
                    )
                    let rows = try Row.fetchCursor(statement, arguments: chunkArguments)
                    let sqlite = statement.sqliteStatement
                    var contacts: [FrozenContact] = []
                    while try rows.next() != nil {
                        contacts.append(
                            FrozenContact(
                                seq: Int64(sqliteStatement: sqlite, index: 0),
                                profileId: String(sqliteStatement: sqlite, index: 1),
                                rawEmail: Self.text(DatabaseValue(sqliteStatement: sqlite, index: 2)),
                                firstName: Self.text(DatabaseValue(sqliteStatement: sqlite, index: 3)),
                                lastName: Self.text(DatabaseValue(sqliteStatement: sqlite, index: 4)),
                                phone: Self.text(DatabaseValue(sqliteStatement: sqlite, index: 5))
                            )
                        )
                    }
                    return contacts
                }
                start = end
                guard !contacts.isEmpty else { continue }
                let closedBatches = try await write(
                    contacts,
                    chunk: chunk,
                    tenantId: tenantId,
                    runId: runId,
                    exportId: exportId,
                    comparesWithLedger: !subject.run.fullResync && !ledgerIsEmpty,
                    seen: seen,
                    planner: &planner,
                    counts: &counts
                )
                if closedBatches { planned() }
            }
        }
        let lastBatches = planner.finish()
        counts.leaveOut(try await insertPlanned(lastBatches, runId: runId, kind: .subscribe))
        if !lastBatches.isEmpty { planned() }
        counts.batches = Int(planner.lastSeq)
        if subject.export.mirror && subject.export.baselineState == .read {
            (counts.toUnsubscribe, counts.batches) = try await planRemovals(
                runId: runId,
                exportId: exportId,
                seen: seen,
                after: planner.lastSeq
            )
        }
        return counts
    }

    /// JSON values as text: numbers (a phone typed as a number) included, JSON null as missing.
    static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: nil
        case .string(let text): text
        case .int64(let number): String(number)
        case .double(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .blob: nil
        }
    }

    /// An export's ledger row as the freeze compares with it.
    struct LedgerEntry: Sendable {
        var fingerprint: UInt64?
        var streak: Int
        var rejected: UInt64?
    }

    struct FrozenContact: Sendable {
        var seq: Int64
        var profileId: String
        var rawEmail: String?
        var firstName: String?
        var lastName: String?
        var phone: String?
    }

    /// `chunk`: the range of profile rows the contacts were read from.
    private func write(
        _ contacts: [FrozenContact],
        chunk range: ClosedRange<Int64>,
        tenantId: Int64,
        runId: Int64,
        exportId: Int64,
        comparesWithLedger: Bool,
        seen: SeenEmails,
        planner: inout BatchPlanner,
        counts: inout FreezeCounts
    ) async throws -> Bool {
        struct Decided: Sendable {
            var contact: FrozenContact
            var email: String
            /// Only when the run compares with the ledger: a first run or a full resync sends everyone.
            var fingerprint: UInt64?
            var action: String
            var reason: String?
        }
        var decided: [Decided] = []
        decided.reserveCapacity(contacts.count)
        var validEmails: [String] = []
        var validRows: [Int] = []  // where each valid email is in `decided`
        for contact in contacts {
            switch ContactEmail.normalise(contact.rawEmail) {
            case .success(let email):
                let fingerprint =
                    comparesWithLedger
                    ? ContactPayload.fingerprintValue(
                        email: email,
                        firstName: contact.firstName,
                        lastName: contact.lastName,
                        phone: contact.phone
                    ) : nil
                validRows.append(decided.count)
                decided.append(Decided(contact: contact, email: email, fingerprint: fingerprint, action: "send", reason: nil))
                validEmails.append(email)
            case .failure(let problem):
                let shown = String((contact.rawEmail ?? "").prefix(320))
                decided.append(Decided(contact: contact, email: shown, fingerprint: nil, action: "invalid", reason: problem.reason))
            }
        }
        let emails = validEmails
        let rowsOfEmails = validRows
        let count = decided.count
        // What the ledger knows of each decided row, by its place in `decided`.
        let ledger: [LedgerEntry?] =
            !comparesWithLedger || emails.isEmpty
            ? []
            : try await database.reader.read { db in
                var known = [LedgerEntry?](repeating: nil, count: count)
                // The chunk's emails are looked up in the ledger's key in email order (sorted by SQLite; `LIMIT -1`
                // keeps the subquery and its order from being flattened away: in profile order the look-ups cost a
                // fifth more). Answers name the email by its place in the list, so no email is read back as text.
                let rows = try Row.fetchCursor(
                    db.cachedStatement(
                        sql: """
                            SELECT e.key, l.fingerprint, l.rejectStreak, l.rejectedFingerprint
                            FROM (SELECT key, value FROM json_each(?) ORDER BY value LIMIT -1) e
                            CROSS JOIN exportLedger l ON l.exportId = ? AND l.email = e.value
                            """
                    ),
                    arguments: [JSONList.of(emails), exportId]
                )
                while let row = try rows.next() {
                    let index: Int = row[0]
                    known[rowsOfEmails[index]] = LedgerEntry(
                        fingerprint: try row.withUnsafeData(atIndex: 1) { $0.flatMap(PayloadFingerprint.value(hex:)) },
                        streak: row[2],
                        rejected: try row.withUnsafeData(atIndex: 3) { $0.flatMap(PayloadFingerprint.value(hex:)) }
                    )
                }
                return known
            }
        let rows = decided
        let plannerBefore = planner
        let countsBefore = counts
        let (countsAfter, plannerAfter, closedBatches) = try await database.writer.write { db in
            var planner = plannerBefore
            var counts = countsBefore
            // The chunk was read from the freeze's snapshot: a profile deleted since (Forget a person, say) is
            // neither sent nor counted, and its email does not hide a later profile that holds it too.
            var stillThere = try ProfileRowsPresent(db, tenantId: tenantId, rows: range)
            var values = RunContactRows()
            for (index, var item) in rows.enumerated() where stillThere.contains(item.contact.seq) {
                counts.members += 1
                if item.action == "send" {
                    // The first profile of an email (the lowest id: rows come in profile order) is the one sent.
                    guard seen.insert(item.email) else {
                        counts.duplicates += 1
                        continue
                    }
                    if let entry = ledger.isEmpty ? nil : ledger[index] {
                        if entry.fingerprint == item.fingerprint {
                            // Unchanged since it was delivered: counted, never written (the ledger already says it).
                            counts.unchanged += 1
                            continue
                        } else if entry.streak >= Self.rejectHoldAfter && entry.rejected == item.fingerprint {
                            item.action = "held"
                            item.reason = "Rejected by ActiveCampaign \(entry.streak) runs in a row; held until the profile changes"
                        }
                    }
                }
                guard item.action == "send" else {
                    // Rows a person reads: kept with their reason.
                    values.add(
                        seq: item.contact.seq,
                        texts: [
                            item.email, item.contact.profileId, item.contact.firstName, item.contact.lastName, item.contact.phone,
                            item.fingerprint.map(PayloadFingerprint.hex), item.action, item.reason,
                        ]
                    )
                    if item.action == "invalid" { counts.invalid += 1 } else { counts.held += 1 }
                    continue
                }
                // Batches are filled as the rows come (profile order) and stored whole when they close.
                let bytes = BatchPlanner.estimatedBytes(item.email, item.contact.firstName, item.contact.lastName, item.contact.phone)
                _ = planner.batch(for: bytes)
                planner.add(
                    BatchContact(
                        seq: item.contact.seq,
                        email: item.email,
                        firstName: item.contact.firstName,
                        lastName: item.contact.lastName,
                        phone: item.contact.phone,
                        profileId: item.contact.profileId
                    ),
                    bytes: bytes
                )
                counts.toSend += 1
            }
            try values.insert(db, runId: runId)
            let closed = planner.takeClosed()
            counts.valid = counts.toSend + counts.unchanged + counts.held
            counts.leaveOut(try Self.storePlanned(db, closed, runId: runId, kind: .subscribe, checkedFrom: rows.first?.contact.seq ?? .max))
            return (counts, planner, !closed.isEmpty)
        }
        planner = plannerAfter
        counts = countsAfter
        return closedBatches
    }

    /// A freeze chunk's rows a person reads (invalid and held contacts), written to `runContact` by one statement
    /// over a JSON array (SQLite's `json_each`). Bound through GRDB's arguments, 64 rows to a statement, their
    /// values cost more than the inserts; one row per statement cost more still (each execution also builds the
    /// ephemeral table of the `action IN (…)` check).
    struct RunContactRows {
        private var json: [UInt8] = [UInt8(ascii: "[")]
        private var rows = 0

        /// `texts`: email, profile id, first name, last name, phone, fingerprint, action, reason.
        mutating func add(seq: Int64, texts: [String?]) {
            if rows > 0 { json.append(UInt8(ascii: ",")) }
            rows += 1
            json.append(UInt8(ascii: "["))
            json.append(contentsOf: String(seq).utf8)
            for text in texts {
                json.append(UInt8(ascii: ","))
                if let text { JSONText.appendString(text, to: &json) } else { json.append(contentsOf: "null".utf8) }
            }
            json.append(UInt8(ascii: "]"))
        }

        func insert(_ db: Database, runId: Int64) throws {
            guard rows > 0 else { return }
            try db.cachedStatement(
                sql: """
                    INSERT INTO runContact (runId, seq, email, profileId, firstName, lastName, phone, fingerprint, action, reason)
                    SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
                           value ->> 7, value ->> 8
                    FROM json_each(?) ORDER BY key
                    """
            ).execute(arguments: [runId, String(decoding: json + [UInt8(ascii: "]")], as: UTF8.self)])
        }
    }

    /// Mirror: contacts this export subscribed, that were not on the list before it did, and that have left its
    /// segments, are unsubscribed, in batches after the subscribe batches. The ledger is read in email order, a
    /// page at a time. Returns the removals and the run's number of batches.
    private func planRemovals(runId: Int64, exportId: Int64, seen: SeenEmails, after subscribeBatches: Int64) async throws -> (Int, Int) {
        var planner = BatchPlanner(after: subscribeBatches)
        var after = ""
        var planned = 0
        while true {
            let from = after
            let page = try await database.reader.read { db -> [(Int64, String)] in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT l.rowid, l.email FROM exportLedger l
                        WHERE l.exportId = ? AND l.email > ? AND l.subscribedByExport = 1
                          AND NOT EXISTS (SELECT 1 FROM exportBaseline b WHERE b.exportId = ? AND b.email = l.email)
                        ORDER BY l.email LIMIT 20000
                        """,
                    arguments: [exportId, from, exportId]
                ).map { ($0[0], $0[1]) }
            }
            guard let last = page.last else { break }
            after = last.1
            for (rowid, email) in page where !seen.contains(email) {
                let bytes = BatchPlanner.estimatedBytes(email, nil, nil, nil)
                _ = planner.batch(for: bytes)
                // A removal's sequence number is its ledger row's, negated: apart from every profile's.
                planner.add(BatchContact(seq: -rowid, email: email), bytes: bytes)
                planned += 1
            }
            planned -= try await insertPlanned(planner.takeClosed(), runId: runId, kind: .unsubscribe)
        }
        planned -= try await insertPlanned(planner.finish(), runId: runId, kind: .unsubscribe)
        return (planned, Int(planner.lastSeq))
    }

    /// Returns how many contacts were left out (see `storePlanned`).
    private func insertPlanned(_ batches: [BatchPlanner.Planned], runId: Int64, kind: BatchKind) async throws -> Int {
        guard !batches.isEmpty else { return 0 }
        return try await database.writer.write { db in try Self.storePlanned(db, batches, runId: runId, kind: kind) }
    }

    /// Stores batches the planner closed. A batch fills over several transactions: whoever was forgotten since
    /// their contact went in (their profile, or for a removal their ledger row, is gone) is left out, and no longer
    /// counted. Profiles from `checkedFrom` on were checked in this transaction already. Returns how many went.
    static func storePlanned(
        _ db: Database,
        _ batches: [BatchPlanner.Planned],
        runId: Int64,
        kind: BatchKind,
        checkedFrom: Int64 = .max
    ) throws -> Int {
        guard !batches.isEmpty else { return 0 }
        // The row a contact stands for: its profile's, or for a removal its ledger row's (its seq negated).
        let rowOf = { (contact: BatchContact) in kind == .subscribe ? contact.seq : -contact.seq }
        let checkedAlready = { (contact: BatchContact) in kind == .subscribe && contact.seq >= checkedFrom }
        let rows = batches.flatMap { $0.contacts.lazy.filter { !checkedAlready($0) }.map(rowOf) }
        let stillThere = Set(
            try Int64.fetchAll(
                db,
                sql: kind == .subscribe
                    ? "SELECT rowId FROM profile WHERE rowId IN (SELECT value FROM json_each(?))"
                    : "SELECT rowid FROM exportLedger WHERE rowid IN (SELECT value FROM json_each(?))",
                arguments: [JSONList.of(rows)]
            )
        )
        var leftOut = 0
        for batch in batches {
            let kept = batch.contacts.filter { checkedAlready($0) || stillThere.contains(rowOf($0)) }
            leftOut += batch.contacts.count - kept.count
            try RunBatch.insertPlanned(db, runId: runId, seq: batch.seq, kind: kind, contacts: kept)
        }
        return leftOut
    }

    /// Ends the prepare phase: counts, then sending — or waiting for a person when the mirror's removals exceed
    /// the export's guard share of the list.
    public func finishPrepare(runId: Int64, owner: String, counts: FreezeCounts, guardPercent: Int?, now: Date) async throws -> RunState? {
        try await database.writer.write { db in
            guard var run = try ExportRun.fetchOne(db, key: runId), run.state == .running, run.leaseOwner == owner else { return nil }
            run.members = counts.members
            run.duplicates = counts.duplicates
            run.valid = counts.valid
            run.invalid = counts.invalid
            run.unchanged = counts.unchanged
            run.held = counts.held
            run.toSend = counts.toSend
            run.toUnsubscribe = counts.toUnsubscribe
            // Planned, plus one for each batch halved while the freeze went on.
            run.batches =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runBatch WHERE runId = ? AND state != 'split'", arguments: [runId]) ?? 0
            run.phase = .send
            if let guardPercent, counts.toUnsubscribe > 0, !run.removalsConfirmed {
                let listSize =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT (SELECT COUNT(*) FROM exportBaseline WHERE exportId = ?)
                                 + (SELECT COUNT(*) FROM exportLedger WHERE exportId = ? AND subscribedByExport = 1)
                            """,
                        arguments: [run.exportId, run.exportId]
                    ) ?? 0
                if Double(counts.toUnsubscribe) > Double(listSize) * Double(guardPercent) / 100 {
                    run.state = .needsConfirmation
                    run.leaseOwner = nil
                    run.leaseExpiresAt = nil
                    run.reason = """
                        Mirror would unsubscribe \(counts.toUnsubscribe) of about \(listSize) contacts on the list, more than the \
                        export's guard of \(guardPercent)%. Confirm to go on, or cancel.
                        """
                }
            }
            try run.update(db)
            return run.state
        }
    }

    // MARK: Send and confirm

    public func openBatches(runId: Int64) async throws -> [RunBatch] {
        try await database.reader.read { db in
            try RunBatch.filter(
                RunBatch.Columns.runId == runId && [BatchState.planned.rawValue, BatchState.sent.rawValue].contains(RunBatch.Columns.state)
            )
            .order(RunBatch.Columns.seq).fetchAll(db)
        }
    }

    /// Batches the freeze planned after `seq`: what it added since the sender last looked (halves of refused
    /// batches, numbered from `splitSeqBase`, are the sender's own).
    public func plannedBatches(runId: Int64, after seq: Int64) async throws -> [RunBatch] {
        try await database.reader.read { db in
            try RunBatch.filter(
                RunBatch.Columns.runId == runId && RunBatch.Columns.seq > seq && RunBatch.Columns.seq < Self.splitSeqBase
                    && RunBatch.Columns.state == BatchState.planned.rawValue
            )
            .order(RunBatch.Columns.seq).fetchAll(db)
        }
    }

    /// The importer took the batch: from now on it is polled under this id, never sent again unless it fails.
    public func recordPosted(_ batch: RunBatch, remoteBatchId: String, now: Date, pollAfter: Date) async throws -> RunBatch {
        var batch = batch
        let firstPost = batch.posts == 0
        batch.state = .sent
        batch.remoteBatchId = remoteBatchId
        batch.posts += 1
        batch.sentAt = now
        batch.pollAfter = pollAfter
        let posted = batch
        try await database.writer.write { db in
            try db.cachedStatement(
                sql:
                    "UPDATE runBatch SET state = 'sent', remoteBatchId = ?, posts = ?, sentAt = ?, pollAfter = ? WHERE runId = ? AND seq = ?"
            ).execute(arguments: [remoteBatchId, posted.posts, now, pollAfter, posted.runId, posted.seq])
            try db.cachedStatement(sql: "UPDATE exportRun SET sent = sent + ?, requests = requests + 1 WHERE id = ?").execute(
                arguments: [firstPost && posted.kind == .subscribe ? posted.contacts : 0, posted.runId]
            )
        }
        return batch
    }

    public func recordPoll(_ batch: RunBatch, pollAfter: Date) async throws -> RunBatch {
        var batch = batch
        batch.polls += 1
        batch.pollAfter = pollAfter
        let polled = batch
        try await database.writer.write { db in
            try db.cachedStatement(sql: "UPDATE runBatch SET polls = ?, pollAfter = ? WHERE runId = ? AND seq = ?").execute(
                arguments: [polled.polls, pollAfter, polled.runId, polled.seq]
            )
            try db.cachedStatement(sql: "UPDATE exportRun SET requests = requests + 1 WHERE id = ?").execute(arguments: [polled.runId])
        }
        return batch
    }

    /// ActiveCampaign failed the batch, cut it short or forgot it: plan it again (upsert by email makes a resend safe).
    public func replan(_ batch: RunBatch) async throws -> RunBatch {
        var batch = batch
        batch.state = .planned
        batch.remoteBatchId = nil
        batch.pollAfter = nil
        batch.polls = 0  // posted again, it is looked at as soon as a new one
        let planned = batch
        try await database.writer.write { db in
            try db.cachedStatement(
                sql: "UPDATE runBatch SET state = 'planned', remoteBatchId = NULL, pollAfter = NULL, polls = 0 WHERE runId = ? AND seq = ?"
            ).execute(arguments: [planned.runId, planned.seq])
        }
        return batch
    }

    /// The batch completed: every contact not in `failures` is accepted (and enters the ledger at the next
    /// `recordDelivered`); the others are rejected with `failureReason`. One transaction.
    public func confirm(_ batch: RunBatch, exportId: Int64, failures: [String], failureReason: String, now: Date) async throws {
        let failed = Set(failures.map { $0.lowercased() })
        try await database.writer.write { db in
            guard let stored = try RunBatch.openContactCount(db, runId: batch.runId, seq: batch.seq) else { return }
            // A subscription every contact of which was accepted stays stored as it is (its count too): its contacts
            // are read only when some were refused, or to take removals out of the ledger.
            let contacts =
                failed.isEmpty && batch.kind == .subscribe ? nil : try RunBatch.contacts(db, runId: batch.runId, seq: batch.seq)
            let rejected = contacts?.filter { failed.contains($0.email) } ?? []
            let accepted = rejected.isEmpty ? contacts : contacts?.filter { !failed.contains($0.email) }
            let acceptedCount = accepted?.count ?? stored
            if !rejected.isEmpty {
                try Self.insertRejected(db, batch: batch, rejected.map { ($0, failureReason) })
            }
            try db.cachedStatement(
                sql: "UPDATE runBatch SET state = 'confirmed', confirmedAt = ?, polls = polls + 1, contacts = ? WHERE runId = ? AND seq = ?"
            ).execute(arguments: [now, acceptedCount, batch.runId, batch.seq])
            // What stays stored is what was delivered, for the ledger's next merge; a removal's contacts are done with.
            if batch.kind == .unsubscribe {
                try RunBatch.dropContacts(db, runId: batch.runId, seq: batch.seq)
            } else if let accepted, !rejected.isEmpty {
                try RunBatch.storeContacts(db, runId: batch.runId, seq: batch.seq, contacts: accepted)
            }
            try Self.applyOutcomesToLedger(
                db,
                batch: batch,
                exportId: exportId,
                rejectedSeqs: rejected.map(\.seq),
                removed: batch.kind == .unsubscribe ? (accepted ?? []).map(\.email) : []
            )
            // Counted as they happen (one transaction with the outcomes), so a run page never lags its rows.
            try db.cachedStatement(
                sql: """
                    UPDATE exportRun SET requests = requests + 1, batchesConfirmed = batchesConfirmed + 1,
                        accepted = accepted + ?, unsubscribed = unsubscribed + ?, rejected = rejected + ? WHERE id = ?
                    """
            ).execute(
                arguments: [
                    batch.kind == .subscribe ? acceptedCount : 0, batch.kind == .unsubscribe ? acceptedCount : 0,
                    rejected.count, batch.runId,
                ]
            )
        }
    }

    /// Rows a person reads for contacts ActiveCampaign refused, each with its reason.
    static func insertRejected(_ db: Database, batch: RunBatch, _ rejected: [(BatchContact, String)]) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO runContact (runId, seq, email, profileId, firstName, lastName, phone, fingerprint, action, batchSeq, outcome, reason)
                VALUES (?1, ?2, ?3,
                        COALESCE(?4, (SELECT p.profileId FROM profile p JOIN exportRun r ON r.id = ?1
                                      WHERE ?2 > 0 AND p.rowId = ?2 AND p.tenantId = r.tenantId)),
                        ?5, ?6, ?7, ?8, ?9, ?10, 'rejected', ?11)
                ON CONFLICT (runId, seq) DO UPDATE SET outcome = 'rejected', reason = excluded.reason, batchSeq = excluded.batchSeq
                """
        )
        // A stored contact carries no profile id (see `BatchPayload`): its sequence number is its profile's row id.
        for (contact, reason) in rejected {
            try statement.execute(
                arguments: [
                    batch.runId, contact.seq, contact.email, contact.profileId, contact.firstName, contact.lastName, contact.phone,
                    contact.fingerprint, batch.kind == .subscribe ? "send" : "unsubscribe", batch.seq, reason,
                ]
            )
        }
    }

    /// Contacts ActiveCampaign refused inside a whole-batch refusal: rejected with its reason; the rest of the
    /// batch stays planned. Returns how many contacts are left in the batch.
    public func reject(_ batch: RunBatch, exportId: Int64, seqs: [Int64: String], now: Date) async throws -> Int {
        try await database.writer.write { db in
            guard try RunBatch.openContactCount(db, runId: batch.runId, seq: batch.seq) != nil else { return 0 }
            let contacts = try RunBatch.contacts(db, runId: batch.runId, seq: batch.seq)
            let rejected = contacts.compactMap { contact in seqs[contact.seq].map { (contact, $0) } }
            let left = contacts.filter { seqs[$0.seq] == nil }
            try Self.insertRejected(db, batch: batch, rejected)
            try Self.applyOutcomesToLedger(db, batch: batch, exportId: exportId, rejectedSeqs: rejected.map(\.0.seq), removed: [])
            if left.isEmpty {
                try db.execute(
                    sql: "UPDATE runBatch SET state = 'confirmed', confirmedAt = ?, contacts = 0 WHERE runId = ? AND seq = ?",
                    arguments: [now, batch.runId, batch.seq]
                )
                try RunBatch.dropContacts(db, runId: batch.runId, seq: batch.seq)
            } else {
                try RunBatch.storeContacts(db, runId: batch.runId, seq: batch.seq, contacts: left)
            }
            try db.execute(
                sql: "UPDATE exportRun SET rejected = rejected + ?, batchesConfirmed = batchesConfirmed + ? WHERE id = ?",
                arguments: [rejected.count, left.isEmpty ? 1 : 0, batch.runId]
            )
            return left.count
        }
    }

    /// Replaces a batch by its two halves (a refusal that named no contact). Returns the halves.
    public func split(_ batch: RunBatch) async throws -> [RunBatch] {
        try await database.writer.write { db in
            let contacts = try RunBatch.contacts(db, runId: batch.runId, seq: batch.seq)
            guard contacts.count > 1 else { return [] }
            // Halves are numbered above the planner's range: the freeze may still be planning batches.
            let next =
                max(
                    try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM runBatch WHERE runId = ?", arguments: [batch.runId]) ?? 0,
                    Self.splitSeqBase
                ) + 1
            let middle = contacts.count / 2
            let halves = [
                try RunBatch.insertPlanned(db, runId: batch.runId, seq: next, kind: batch.kind, contacts: Array(contacts[..<middle])),
                try RunBatch.insertPlanned(db, runId: batch.runId, seq: next + 1, kind: batch.kind, contacts: Array(contacts[middle...])),
            ]
            try db.execute(
                sql: "UPDATE runBatch SET state = 'split', contacts = 0 WHERE runId = ? AND seq = ?",
                arguments: [batch.runId, batch.seq]
            )
            try RunBatch.dropContacts(db, runId: batch.runId, seq: batch.seq)
            try db.execute(sql: "UPDATE exportRun SET batches = batches + 1 WHERE id = ?", arguments: [batch.runId])
            return halves
        }
    }

    /// Rejected contacts count a streak per fingerprint; accepted removals leave the ledger. (Accepted
    /// subscriptions enter it through `recordDelivered`.) `rejectedSeqs`: the rows rejected in this step.
    static func applyOutcomesToLedger(_ db: Database, batch: RunBatch, exportId: Int64, rejectedSeqs: [Int64], removed: [String]) throws {
        // A run canceled meanwhile (its export got another list or connection, whose ledger was just reset) records
        // its batches' outcomes on the run only.
        guard !rejectedSeqs.isEmpty || !removed.isEmpty, try isRunning(db, runId: batch.runId) else { return }
        switch batch.kind {
        case .subscribe:
            try db.cachedStatement(
                sql: """
                    INSERT INTO exportLedger (exportId, email, fingerprint, deliveredAt, subscribedByExport, rejectStreak, rejectedFingerprint,
                        rejectedRunId)
                    SELECT ?1, r.email, NULL, NULL, 0, 1, r.fingerprint, ?2
                    FROM runContact r WHERE r.runId = ?2 AND r.seq IN (SELECT value FROM json_each(?3)) AND r.outcome = 'rejected'
                    ON CONFLICT (exportId, email) DO UPDATE SET
                        -- Once per run: a freeze started over sends (and may see rejected) the same contact again.
                        rejectStreak = CASE WHEN exportLedger.rejectedRunId IS excluded.rejectedRunId THEN exportLedger.rejectStreak
                                            WHEN exportLedger.rejectedFingerprint = excluded.rejectedFingerprint
                                            THEN exportLedger.rejectStreak + 1 ELSE 1 END,
                        rejectedFingerprint = excluded.rejectedFingerprint, rejectedRunId = excluded.rejectedRunId
                    """
            ).execute(
                arguments: [exportId, batch.runId, JSONList.of(rejectedSeqs)]
            )
        case .unsubscribe:
            try db.cachedStatement(
                sql: "DELETE FROM exportLedger WHERE exportId = ? AND email IN (SELECT value FROM json_each(?))"
            ).execute(
                arguments: [exportId, JSONList.of(removed)]
            )
        }
    }

    /// Confirmed batches' accepted contacts enter (or update) the ledger, in email order, many batches at once,
    /// in one statement: SQLite reads each stored batch's ledger entries (`BatchPayload.ledgerEntries`, through a
    /// SQL function) and sorts them. In email order a merge touches each ledger page once; one upsert per contact
    /// per batch, at random places in a ledger of a million emails, dirtied a page per contact at each commit.
    /// Called every `ledgerMergeContacts` accepted contacts while a run sends (each merge rewrites much of the
    /// ledger, so merges are few), and for the rest when the run finishes or a person cancels it: a canceled run's
    /// deliveries stay known. (A run canceled because its export got another list or connection has its ledger
    /// reset instead, so its batches are never recorded.) A damaged stored batch enters nothing: its contacts go
    /// again next run.
    static func recordDelivered(_ db: Database, runId: Int64, exportId: Int64) throws {
        // Without a baseline (mirror never read the list) every delivery is the export's own: no look-up per contact.
        let hasBaseline =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM exportBaseline WHERE exportId = ?)"),
                arguments: [exportId]
            ) ?? true
        let subscribedByExport =
            hasBaseline ? "NOT EXISTS (SELECT 1 FROM exportBaseline bl WHERE bl.exportId = ?1 AND bl.email = entry.key)" : "1"
        try db.cachedStatement(
            sql: """
                INSERT INTO exportLedger (exportId, email, fingerprint, deliveredAt, subscribedByExport, rejectStreak, rejectedFingerprint)
                SELECT ?1, entry.key, entry.value, b.confirmedAt, \(subscribedByExport), 0, NULL
                FROM runBatch b JOIN runBatchContacts c ON c.runId = b.runId AND c.seq = b.seq, json_each(\(AppDatabase.batchLedgerEntries)(c.payload)) entry
                WHERE b.runId = ?2 AND b.kind = 'subscribe' AND b.state = 'confirmed' AND b.recorded = 0
                ORDER BY entry.key
                ON CONFLICT (exportId, email) DO UPDATE SET
                    subscribedByExport = CASE WHEN exportLedger.deliveredAt IS NULL THEN excluded.subscribedByExport
                                              ELSE exportLedger.subscribedByExport END,
                    fingerprint = excluded.fingerprint, deliveredAt = excluded.deliveredAt, rejectStreak = 0, rejectedFingerprint = NULL,
                    rejectedRunId = NULL
                """
        ).execute(arguments: [exportId, runId])
        try db.execute(
            sql: """
                DELETE FROM runBatchContacts WHERE runId = ?1 AND seq IN (
                    SELECT seq FROM runBatch WHERE runId = ?1 AND kind = 'subscribe' AND state = 'confirmed' AND recorded = 0)
                """,
            arguments: [runId]
        )
        try db.execute(
            sql: "UPDATE runBatch SET recorded = 1 WHERE runId = ? AND kind = 'subscribe' AND state = 'confirmed' AND recorded = 0",
            arguments: [runId]
        )
    }

    /// Records the delivered contacts of the run's confirmed batches in the export's ledger, while the run is
    /// still running (a canceled run's were recorded by its cancel, or reset with the ledger).
    public func recordDelivered(runId: Int64, exportId: Int64) async throws {
        try await database.writer.write { db in try Self.recordDeliveredIfRunning(db, runId: runId, exportId: exportId) }
    }

    /// `recordDelivered` unless the run was canceled meanwhile (a changed list or connection reset the ledger).
    static func recordDeliveredIfRunning(_ db: Database, runId: Int64, exportId: Int64) throws {
        if try isRunning(db, runId: runId) { try recordDelivered(db, runId: runId, exportId: exportId) }
    }

    static func isRunning(_ db: Database, runId: Int64) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT state = 'running' FROM exportRun WHERE id = ?"), arguments: [runId]) == true
    }

    /// Recounts accepted, rejected and removed contacts and confirmed batches from the batches and rows themselves
    /// when a run ends, so its final counts are exactly what they say. (A confirmed batch's count is what it
    /// delivered.)
    static func recount(_ db: Database, runId: Int64) throws {
        try db.execute(
            sql: """
                UPDATE exportRun SET
                    accepted = (SELECT COALESCE(SUM(contacts), 0) FROM runBatch WHERE runId = ?1 AND kind = 'subscribe' AND state = 'confirmed'),
                    rejected = (SELECT COUNT(*) FROM runContact WHERE runId = ?1 AND outcome = 'rejected'),
                    unsubscribed = (SELECT COALESCE(SUM(contacts), 0) FROM runBatch WHERE runId = ?1 AND kind = 'unsubscribe' AND state = 'confirmed'),
                    batchesConfirmed = (SELECT COUNT(*) FROM runBatch WHERE runId = ?1 AND state = 'confirmed')
                WHERE id = ?1
                """,
            arguments: [runId]
        )
    }

    // MARK: Finish

    /// Ends the run: Successful when every valid contact was accepted, Completed with errors when some were
    /// rejected, or the given failure.
    public func finish(runId: Int64, owner: String, failure: String?, now: Date) async throws -> ExportRun? {
        try await database.writer.write { db in
            guard var run = try ExportRun.fetchOne(db, key: runId), run.state == .running, run.leaseOwner == owner else { return nil }
            try Self.recordDelivered(db, runId: runId, exportId: run.exportId)
            try Self.recount(db, runId: runId)
            run = try ExportRun.fetchOne(db, key: runId)!
            if let failure {
                run.state = .failed
                run.reason = failure
            } else {
                run.state = run.rejected > 0 ? .completedWithErrors : .succeeded
            }
            run.phase = .done
            run.finishedAt = now
            run.leaseOwner = nil
            run.leaseExpiresAt = nil
            try run.update(db)
            let name = try String.fetchOne(db, sql: "SELECT name FROM export WHERE id = ?", arguments: [run.exportId]) ?? "?"
            try ActivityEvent.record(
                db,
                at: now,
                tenantId: run.tenantId,
                actor: Actor(userId: nil, email: "export engine", clientAddress: "local"),
                action: "export.run.finished",
                detail: """
                    Run #\(runId) of export \(name): \(run.state.label)\(failure.map { " — \($0)" } ?? ""); \
                    \(run.accepted) accepted, \(run.rejected) rejected, \(run.invalid) invalid, \(run.unchanged) unchanged\
                    \(run.unsubscribed > 0 ? ", \(run.unsubscribed) unsubscribed" : "")
                    """
            )
            return run
        }
    }

    /// A finished run keeps only the rows a person reads (invalid, held and rejected contacts): the ledger holds
    /// what was delivered, and the contacts of batches a failed or canceled run did not deliver go. Every finished
    /// run of the export is swept (one pruned late after a crash too), in chunks so the writer is never held long.
    public func pruneFinishedRuns(exportId: Int64) async throws {
        let finished = RunState.allCases.filter { !$0.isActive }.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        while true {
            let deleted = try await database.writer.write { db in
                try db.execute(
                    sql: """
                        DELETE FROM runBatchContacts WHERE rowid IN (
                            SELECT c.rowid FROM exportRun r JOIN runBatchContacts c ON c.runId = r.id
                            WHERE r.exportId = ? AND r.state IN (\(finished))
                            LIMIT 200)
                        """,
                    arguments: [exportId]
                )
                return db.changesCount
            }
            if deleted < 200 { return }
        }
    }

    /// Marks a connection as needing attention (a 403 during a run).
    public func connectionNeedsAttention(tenantId: Int64, connectionId: Int64, reason: String) async throws {
        try await database.writer.write { db in
            try db.execute(
                sql: "UPDATE connection SET lastError = ? WHERE id = ? AND tenantId = ?",
                arguments: [String(reason.prefix(500)), connectionId, tenantId]
            )
        }
    }
}
