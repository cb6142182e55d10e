/// Fills a run's batches in order as its contacts are frozen: at most `RunWork.maxBatchContacts` contacts and
/// about `RunWork.maxBatchBytes` of payload each. A value: the freeze carries it from one chunk's transaction to
/// the next.
struct BatchPlanner: Sendable {
    struct Planned: Sendable, Equatable {
        var seq: Int64
        var contacts: Int
    }

    /// The highest batch number given out so far.
    private(set) var lastSeq: Int64
    private var openSeq: Int64?
    private var openCount = 0
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
            if openCount == 0 || openCount < RunWork.maxBatchContacts && openBytes + bytes <= RunWork.maxBatchBytes { return seq }
            closed.append(Planned(seq: seq, contacts: openCount))
        }
        lastSeq += 1
        openSeq = lastSeq
        openCount = 0
        openBytes = 0
        return lastSeq
    }

    mutating func add(bytes: Int) {
        openCount += 1
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
            if openCount > 0 { closed.append(Planned(seq: seq, contacts: openCount)) } else { lastSeq -= 1 }
            openSeq = nil
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
}
