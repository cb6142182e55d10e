import Foundation
import GRDB

/// Fills a run's batches in order as its contacts are frozen: at most `RunWork.maxBatchContacts` contacts and
/// about `RunWork.maxBatchBytes` of payload each. A value: the freeze carries it, with the open batch's
/// contacts, from one chunk's transaction to the next.
struct BatchPlanner: Sendable {
    struct Planned: Sendable, Equatable {
        var seq: Int64
        var contacts: [BatchContact]
    }

    /// The highest batch number given out so far.
    private(set) var lastSeq: Int64
    private var openSeq: Int64?
    private var openContacts: [BatchContact] = []
    private var openBytes = 0
    private var closed: [Planned] = []

    init(after seq: Int64 = 0) { lastSeq = seq }

    /// A contact's share of a bulk import payload: JSON keys, quotes and the list subscription add about 150
    /// bytes, and escaping at most doubles the text.
    static func estimatedBytes(_ email: String, _ firstName: String?, _ lastName: String?, _ phone: String?) -> Int {
        150 + 2 * (email.utf8.count + (firstName?.utf8.count ?? 0) + (lastName?.utf8.count ?? 0) + (phone?.utf8.count ?? 0))
    }

    /// The batch the next contact of `bytes` goes to, closing the open one when the contact would overflow it.
    /// Call `add` once the contact is stored (a duplicate email is not).
    mutating func batch(for bytes: Int) -> Int64 {
        if let seq = openSeq {
            if openContacts.isEmpty || openContacts.count < RunWork.maxBatchContacts && openBytes + bytes <= RunWork.maxBatchBytes {
                return seq
            }
            closed.append(Planned(seq: seq, contacts: openContacts))
        }
        lastSeq += 1
        openSeq = lastSeq
        openContacts = []
        openContacts.reserveCapacity(RunWork.maxBatchContacts)
        openBytes = 0
        return lastSeq
    }

    mutating func add(_ contact: BatchContact, bytes: Int) {
        openContacts.append(contact)
        openBytes += bytes
    }

    /// The batches filled since the last call.
    mutating func takeClosed() -> [Planned] {
        defer { closed = [] }
        return closed
    }

    /// Closes the open batch; returns every batch not taken yet. A batch opened for a contact that was not
    /// stored is given back.
    mutating func finish() -> [Planned] {
        if let seq = openSeq {
            if !openContacts.isEmpty { closed.append(Planned(seq: seq, contacts: openContacts)) } else { lastSeq -= 1 }
            openSeq = nil
            openContacts = []
        }
        return takeClosed()
    }
}

extension RunBatch {
    static func planned(runId: Int64, seq: Int64, kind: BatchKind, contacts: Int) -> RunBatch {
        RunBatch(
            runId: runId,
            seq: seq,
            kind: kind,
            state: .planned,
            contacts: contacts,
            remoteBatchId: nil,
            posts: 0,
            sentAt: nil,
            pollAfter: nil,
            polls: 0,
            confirmedAt: nil
        )
    }

    /// Stores a planned batch with its contacts.
    @discardableResult
    static func insertPlanned(_ db: Database, runId: Int64, seq: Int64, kind: BatchKind, contacts: [BatchContact]) throws -> RunBatch {
        let batch = planned(runId: runId, seq: seq, kind: kind, contacts: contacts.count)
        try batch.insert(db)
        try storeContacts(db, runId: runId, seq: seq, contacts: contacts)
        return batch
    }

    /// The batch's stored count while it is open (planned or sent: not confirmed already, not split, not gone
    /// with its run); nil otherwise.
    static func openContactCount(_ db: Database, runId: Int64, seq: Int64) throws -> Int? {
        try Int.fetchOne(
            db.cachedStatement(sql: "SELECT contacts FROM runBatch WHERE runId = ? AND seq = ? AND state IN ('planned', 'sent')"),
            arguments: [runId, seq]
        )
    }

    /// The contacts stored with the batch: to deliver, or delivered and not yet in the ledger (none after).
    static func contacts(_ db: Database, runId: Int64, seq: Int64) throws -> [BatchContact] {
        try stored(db, runId: runId, seq: seq).contacts()
    }

    static func stored(_ db: Database, runId: Int64, seq: Int64) throws -> StoredContacts {
        StoredContacts(
            payload: try Data.fetchOne(
                db.cachedStatement(sql: "SELECT payload FROM runBatchContacts WHERE runId = ? AND seq = ?"),
                arguments: [runId, seq]
            )
        )
    }

    /// Replaces the batch's stored contacts and their count (some were rejected or forgotten).
    static func storeContacts(_ db: Database, runId: Int64, seq: Int64, contacts: [BatchContact]) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO runBatchContacts (runId, seq, payload) VALUES (?, ?, ?)")
            .execute(arguments: [runId, seq, BatchPayload.encode(contacts)])
        try db.cachedStatement(sql: "UPDATE runBatch SET contacts = ? WHERE runId = ? AND seq = ?").execute(
            arguments: [contacts.count, runId, seq]
        )
    }

    /// The batch's contacts are done with (removed from the list, halved into other batches, or in the ledger).
    static func dropContacts(_ db: Database, runId: Int64, seq: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM runBatchContacts WHERE runId = ? AND seq = ?").execute(arguments: [runId, seq])
    }
}
