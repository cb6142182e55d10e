import Foundation
import GRDB
import OutboundCore

/// Why an export's settings were refused, per field, so a page can show each beside its field.
public struct ExportSettingsProblem: Error, Equatable, Sendable {
    public enum Field: String, Sendable { case name, connection, list, segments, email, firstName, lastName, phone, mirror }
    public var field: Field
    public var message: String
}

/// An export with its segments, as pages and the CLI list them.
public struct ExportSummary: Sendable, Equatable {
    public var export: Export
    public var segments: [ExportReference]
    public var connectionName: String?
    public var lastRun: ExportRun?
}

extension AppDatabase {
    // MARK: Reads

    public func exports(tenantId: Int64) async throws -> [ExportSummary] {
        try await reader.read { db in try Self.exports(db, tenantId: tenantId) }
    }

    static func exports(_ db: Database, tenantId: Int64) throws -> [ExportSummary] {
        try SQLRequest<Export>(
            sql: "SELECT * FROM export WHERE tenantId = ? ORDER BY name COLLATE NOCASE",
            arguments: [tenantId],
            cached: true
        )
        .fetchAll(db).map { try Self.summary(db, $0) }
    }

    public func export(tenantId: Int64, id: Int64) async throws -> ExportSummary? {
        try await reader.read { db in try Self.export(db, tenantId: tenantId, id: id).map { try Self.summary(db, $0) } }
    }

    static func export(_ db: Database, tenantId: Int64, id: Int64) throws -> Export? {
        try SQLRequest<Export>(sql: "SELECT * FROM export WHERE tenantId = ? AND id = ?", arguments: [tenantId, id], cached: true).fetchOne(
            db
        )
    }

    public func export(tenantId: Int64, name: String) async throws -> ExportSummary? {
        try await reader.read { db in
            try Export.filter(Export.Columns.tenantId == tenantId && Export.Columns.name.collating(.nocase) == name).fetchOne(db)
                .map { try Self.summary(db, $0) }
        }
    }

    static func summary(_ db: Database, _ export: Export) throws -> ExportSummary {
        // Cached statements: pages read these for every export, and preparing a `SELECT *` of a run's 34 columns ran
        // GRDB's authorizer callback for each column every time (a sixth of a run page's CPU).
        let segments = try SQLRequest<Row>(
            sql: """
                SELECT segment.id, segment.name FROM exportSegment
                JOIN segment ON segment.id = exportSegment.segmentId AND segment.tenantId = ?
                WHERE exportSegment.exportId = ? ORDER BY segment.name
                """,
            arguments: [export.tenantId, export.id],
            cached: true
        ).fetchAll(db).map { ExportReference(id: $0[0], name: $0[1]) }
        let connectionName = try export.connectionId.flatMap { id in
            try SQLRequest<String>(
                sql: "SELECT name FROM connection WHERE id = ? AND tenantId = ?",
                arguments: [id, export.tenantId],
                cached: true
            ).fetchOne(db)
        }
        let lastRun = try SQLRequest<ExportRun>(
            sql: "SELECT * FROM exportRun WHERE exportId = ? ORDER BY id DESC LIMIT 1",
            arguments: [export.id],
            cached: true
        ).fetchOne(db)
        return ExportSummary(export: export, segments: segments, connectionName: connectionName, lastRun: lastRun)
    }

    // MARK: Writes

    /// Creates an export. Saving does not run it.
    public func createExport(tenantId: Int64, settings: ExportSettings, actor: Actor, now: Date) async throws -> Export {
        try await writer.write { db in
            try Self.check(db, tenantId: tenantId, settings: settings, exceptExport: nil)
            var export = Export(
                id: nil,
                tenantId: tenantId,
                name: settings.name,
                connectionId: settings.connectionId,
                listId: settings.listId,
                schedule: settings.schedule,
                createdByUserId: actor.userId,
                createdAt: now,
                updatedAt: now,
                emailAttributeId: settings.emailAttributeId,
                firstNameAttributeId: settings.firstNameAttributeId,
                lastNameAttributeId: settings.lastNameAttributeId,
                phoneAttributeId: settings.phoneAttributeId,
                runAutomations: settings.runAutomations,
                mirror: settings.mirror,
                mirrorGuardPercent: settings.mirrorGuardPercent,
                baselineState: settings.mirror ? .needed : .none
            )
            try export.insert(db)
            try Self.linkSegments(db, exportId: export.id!, segmentIds: settings.segmentIds)
            try ActivityEvent.record(
                db,
                at: now,
                tenantId: tenantId,
                actor: actor,
                action: "export.created",
                detail: "Created export \(export.name)"
            )
            return export
        }
    }

    /// Changes an export. A new list or connection resets what it knows was delivered, so its next run sends everyone.
    public func updateExport(tenantId: Int64, id: Int64, settings: ExportSettings, actor: Actor, now: Date) async throws -> Export {
        try await writer.write { db in
            guard var export = try Export.filter(Export.Columns.tenantId == tenantId && Export.Columns.id == id).fetchOne(db) else {
                throw StoreError.notFound
            }
            try Self.check(db, tenantId: tenantId, settings: settings, exceptExport: id)
            let destinationChanged = export.listId != settings.listId || export.connectionId != settings.connectionId
            if !export.mirror && settings.mirror || destinationChanged && settings.mirror {
                export.baselineState = .needed
                try db.execute(sql: "DELETE FROM exportBaseline WHERE exportId = ?", arguments: [id])
            }
            if !settings.mirror { export.baselineState = .none }
            export.name = settings.name
            export.connectionId = settings.connectionId
            export.listId = settings.listId
            export.schedule = settings.schedule
            export.emailAttributeId = settings.emailAttributeId
            export.firstNameAttributeId = settings.firstNameAttributeId
            export.lastNameAttributeId = settings.lastNameAttributeId
            export.phoneAttributeId = settings.phoneAttributeId
            export.runAutomations = settings.runAutomations
            export.mirror = settings.mirror
            export.mirrorGuardPercent = settings.mirrorGuardPercent
            export.updatedAt = now
            try export.update(db)
            try db.execute(sql: "DELETE FROM exportSegment WHERE exportId = ?", arguments: [id])
            try Self.linkSegments(db, exportId: id, segmentIds: settings.segmentIds)
            if destinationChanged {
                try db.execute(sql: "DELETE FROM exportLedger WHERE exportId = ?", arguments: [id])
            }
            try ActivityEvent.record(
                db,
                at: now,
                tenantId: tenantId,
                actor: actor,
                action: "export.changed",
                detail: "Changed export \(export.name)" + (destinationChanged ? "; its next run sends every contact" : "")
            )
            return export
        }
    }

    /// Removes an export, its runs, frozen contacts and ledger in one transaction; a worker sending for it finds
    /// its run gone before its next request. Contacts already sent stay in ActiveCampaign.
    public func removeExport(tenantId: Int64, id: Int64, actor: Actor) async throws {
        try await writer.write { db in
            guard let export = try Export.filter(Export.Columns.tenantId == tenantId && Export.Columns.id == id).fetchOne(db) else {
                throw StoreError.notFound
            }
            let totals = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*), COALESCE(SUM(accepted), 0), COALESCE(SUM(rejected), 0) FROM exportRun WHERE exportId = ?
                    """,
                arguments: [id]
            )!
            _ = try export.delete(db)
            try ActivityEvent.record(
                db,
                at: clock.now,
                tenantId: tenantId,
                actor: actor,
                action: "export.removed",
                detail: """
                    Removed export \(export.name) after \(totals[0] as Int) runs (\(totals[1] as Int) contacts accepted, \
                    \(totals[2] as Int) rejected in all); contacts already sent stay in ActiveCampaign
                    """
            )
        }
    }

    /// Copies an export's settings and segments under a free name ("Copy of …"). The copy has no runs and no
    /// ledger, so its first run sends every contact; with mirror on it reads the list again first.
    public func duplicateExport(tenantId: Int64, id: Int64, actor: Actor, now: Date) async throws -> Export {
        try await writer.write { db in
            guard let original = try Export.filter(Export.Columns.tenantId == tenantId && Export.Columns.id == id).fetchOne(db) else {
                throw StoreError.notFound
            }
            var copy = original
            copy.id = nil
            copy.name = try Self.freeCopyName(db, tenantId: tenantId, of: original.name)
            copy.createdByUserId = actor.userId
            copy.createdAt = now
            copy.updatedAt = now
            copy.baselineState = original.mirror ? .needed : .none
            try copy.insert(db)
            try db.execute(
                sql: "INSERT INTO exportSegment (exportId, segmentId) SELECT ?, segmentId FROM exportSegment WHERE exportId = ?",
                arguments: [copy.id, id]
            )
            try ActivityEvent.record(
                db,
                at: now,
                tenantId: tenantId,
                actor: actor,
                action: "export.created",
                detail: "Created export \(copy.name) as a copy of \(original.name)"
            )
            return copy
        }
    }

    private static func freeCopyName(_ db: Database, tenantId: Int64, of name: String) throws -> String {
        for number in 1...1_000 {
            let suffix = number == 1 ? "" : " \(number)"
            let candidate = "Copy of " + String(name.prefix(Validate.maxNameLength - 8 - suffix.count)) + suffix
            if try !nameTaken(db, tenantId: tenantId, name: candidate, except: nil) { return candidate }
        }
        throw ExportSettingsProblem(field: .name, message: "Too many copies of \(name); rename some first.")
    }

    /// Names are unique per workspace, whatever their case.
    private static func nameTaken(_ db: Database, tenantId: Int64, name: String, except exportId: Int64?) throws -> Bool {
        try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM export WHERE tenantId = ? AND name = ? COLLATE NOCASE AND id IS NOT ?",
            arguments: [tenantId, name, exportId]
        ) != 0
    }

    static func linkSegments(_ db: Database, exportId: Int64, segmentIds: [Int64]) throws {
        for segmentId in Set(segmentIds) {
            try db.execute(sql: "INSERT INTO exportSegment (exportId, segmentId) VALUES (?, ?)", arguments: [exportId, segmentId])
        }
    }

    /// Every id in the settings must be of this workspace; names are unique per workspace.
    static func check(_ db: Database, tenantId: Int64, settings: ExportSettings, exceptExport: Int64?) throws {
        func problem(_ field: ExportSettingsProblem.Field, _ message: String) -> ExportSettingsProblem {
            ExportSettingsProblem(field: field, message: message)
        }
        let name = settings.name
        if let message = Validate.name(name) { throw problem(.name, message) }
        guard name.trimmingCharacters(in: .whitespacesAndNewlines) == name else {
            throw problem(.name, "A name cannot start or end with spaces.")
        }
        guard try !nameTaken(db, tenantId: tenantId, name: name, except: exceptExport) else {
            throw problem(.name, "Another export is called \(name).")
        }
        if let connectionId = settings.connectionId {
            guard
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM connection WHERE id = ? AND tenantId = ?",
                    arguments: [connectionId, tenantId]
                ) == 1
            else {
                throw problem(.connection, "Choose a connection of this workspace.")
            }
        }
        guard let list = Int64(settings.listId), list > 0 else {
            throw problem(.list, "An ActiveCampaign list id is a whole number, like 3.")
        }
        guard !settings.segmentIds.isEmpty else { throw problem(.segments, "Choose at least one segment.") }
        let segments =
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM segment WHERE tenantId = ? AND id IN (SELECT value FROM json_each(?))",
                arguments: [tenantId, JSONList.of(Set(settings.segmentIds))]
            ) ?? 0
        guard segments == Set(settings.segmentIds).count else { throw problem(.segments, "Choose segments of this workspace.") }
        let attributes: [(ExportSettingsProblem.Field, Int64?)] = [
            (.email, settings.emailAttributeId), (.firstName, settings.firstNameAttributeId),
            (.lastName, settings.lastNameAttributeId), (.phone, settings.phoneAttributeId),
        ]
        for (field, id) in attributes {
            guard let id else { continue }
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attribute WHERE id = ? AND tenantId = ?", arguments: [id, tenantId]) == 1
            else {
                throw problem(field, "Choose a profile attribute of this workspace.")
            }
        }
        guard (1...100).contains(settings.mirrorGuardPercent) else {
            throw problem(.mirror, "The removal guard is a share of the list from 1 to 100 percent.")
        }
    }
}
