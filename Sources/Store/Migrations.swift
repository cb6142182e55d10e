import Foundation
import GRDB

extension AppDatabase {
    /// Migrations never change what they do once shipped and never erase data (no `eraseDatabaseOnSchemaChange`:
    /// `swift run` is a debug build and would wipe a real data directory). They are SQL, apart from v16 and v17,
    /// which re-encode stored batches with `BatchPayload` (versioned: it keeps reading what they wrote; v16 writes version 1, as it always did). v16 wrote its
    /// rows through `RunBatch.storeContacts` until v17 gave that a column; it now writes the same rows itself.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 tenants, users, memberships, sessions, activity") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenant (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        slug TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND length(slug) BETWEEN 1 AND 40),
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
                        timeZone TEXT NOT NULL DEFAULT 'UTC',
                        createdAt DATETIME NOT NULL
                    );
                    CREATE TABLE user (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        passwordHash TEXT NOT NULL,
                        mustChangePassword BOOLEAN NOT NULL DEFAULT 0,
                        createdAt DATETIME NOT NULL
                    );
                    CREATE TABLE membership (
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        userId INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                        role TEXT NOT NULL CHECK (role IN ('admin', 'contributor', 'viewer')),
                        createdAt DATETIME NOT NULL,
                        PRIMARY KEY (tenantId, userId)
                    );
                    CREATE INDEX membership_user ON membership(userId);
                    -- Only a SHA-256 of the cookie token is kept: a copied database cannot sign anyone in.
                    CREATE TABLE session (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tokenHash TEXT NOT NULL UNIQUE,
                        userId INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                        csrfToken TEXT NOT NULL,
                        clientAddress TEXT NOT NULL,
                        userAgent TEXT NOT NULL,
                        createdAt DATETIME NOT NULL,
                        lastSeenAt DATETIME NOT NULL,
                        expiresAt DATETIME NOT NULL
                    );
                    CREATE INDEX session_user ON session(userId);
                    -- Append-only: the triggers below refuse edits and deletions of past events.
                    CREATE TABLE activity (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id),
                        actorUserId INTEGER,
                        actorEmail TEXT NOT NULL,
                        action TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        clientAddress TEXT NOT NULL,
                        createdAt DATETIME NOT NULL
                    );
                    CREATE INDEX activity_tenant ON activity(tenantId, id);
                    CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
                    BEGIN SELECT RAISE(ABORT, 'activity is append-only'); END;
                    CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
                    BEGIN SELECT RAISE(ABORT, 'activity is append-only'); END;
                    """
            )
        }
        migrator.registerMigration("v2 connections") { db in
            try db.execute(
                sql: """
                    CREATE TABLE connection (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL DEFAULT 'activecampaign' CHECK (kind IN ('activecampaign')),
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
                        usableBy TEXT NOT NULL DEFAULT 'admins' CHECK (usableBy IN ('admins', 'contributors')),
                        apiHost TEXT NOT NULL,
                        -- AES-256-GCM, sealed with the key ring; NULL once a changed hostname cleared it.
                        apiKeySealed TEXT,
                        apiKeyLastFour TEXT,
                        accountName TEXT,
                        exportUserId INTEGER REFERENCES user(id) ON DELETE SET NULL,
                        consentUserId INTEGER REFERENCES user(id) ON DELETE SET NULL,
                        consentAt DATETIME,
                        verifiedAt DATETIME,
                        createdAt DATETIME NOT NULL,
                        updatedAt DATETIME NOT NULL
                    );
                    CREATE UNIQUE INDEX connection_name ON connection(tenantId, name COLLATE NOCASE);
                    """
            )
        }
        migrator.registerMigration("v3 connection drafts, connection errors, exports") { db in
            try db.execute(
                sql: """
                    ALTER TABLE connection ADD COLUMN lastError TEXT;
                    -- Between Connect and Save the typed key lives only here, sealed, tied to one session, for 30 minutes.
                    CREATE TABLE connectionDraft (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        sessionId INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        connectionId INTEGER REFERENCES connection(id) ON DELETE CASCADE,
                        apiHost TEXT,
                        apiKeySealed TEXT,
                        apiKeyLastFour TEXT,
                        accountName TEXT,
                        verifiedAt DATETIME,
                        exportUserId INTEGER REFERENCES user(id) ON DELETE SET NULL,
                        createdAt DATETIME NOT NULL,
                        expiresAt DATETIME NOT NULL
                    );
                    CREATE INDEX connectionDraft_session ON connectionDraft(sessionId);
                    -- Exports arrive with their own issue; the table exists now so that removing a connection can
                    -- detach or remove the exports that use it, in one transaction.
                    CREATE TABLE export (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
                        connectionId INTEGER REFERENCES connection(id) ON DELETE SET NULL,
                        listId TEXT,
                        schedule TEXT NOT NULL DEFAULT 'system' CHECK (schedule IN ('system', 'off')),
                        createdByUserId INTEGER REFERENCES user(id) ON DELETE SET NULL,
                        createdAt DATETIME NOT NULL,
                        updatedAt DATETIME NOT NULL
                    );
                    CREATE INDEX export_tenant ON export(tenantId);
                    CREATE INDEX export_connection ON export(connectionId);
                    """
            )
        }
        migrator.registerMigration("v4 profiles, attributes, segments, imports") { db in
            try db.execute(
                sql: """
                    -- Attribute names map to ids; profile values live in JSON keyed by those ids ("a12"), so no
                    -- attribute name or value is ever part of SQL text: paths are bound parameters.
                    CREATE TABLE attribute (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                        type TEXT NOT NULL CHECK (type IN ('text', 'number', 'date', 'boolean')),
                        UNIQUE (tenantId, name)
                    );
                    CREATE TABLE profile (
                        rowId INTEGER PRIMARY KEY,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        profileId TEXT NOT NULL,
                        attributes TEXT NOT NULL DEFAULT '{}',
                        importId INTEGER,
                        updatedAt DATETIME NOT NULL,
                        UNIQUE (tenantId, profileId)
                    );
                    CREATE TABLE importJob (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        fileName TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'completed_with_errors', 'failed')),
                        replaceAll BOOLEAN NOT NULL DEFAULT 0,
                        rowsRead INTEGER NOT NULL DEFAULT 0,
                        rowsImported INTEGER NOT NULL DEFAULT 0,
                        rowsRejected INTEGER NOT NULL DEFAULT 0,
                        rowsRemoved INTEGER NOT NULL DEFAULT 0,
                        message TEXT,
                        problems TEXT NOT NULL DEFAULT '[]',
                        createdByUserId INTEGER REFERENCES user(id) ON DELETE SET NULL,
                        startedAt DATETIME NOT NULL,
                        finishedAt DATETIME
                    );
                    CREATE INDEX importJob_tenant ON importJob(tenantId, id);
                    CREATE TABLE segment (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
                        description TEXT NOT NULL DEFAULT '',
                        rules TEXT NOT NULL,
                        generation INTEGER NOT NULL DEFAULT 0,
                        memberCount INTEGER NOT NULL DEFAULT 0,
                        refreshedAt DATETIME,
                        createdAt DATETIME NOT NULL,
                        updatedAt DATETIME NOT NULL
                    );
                    CREATE UNIQUE INDEX segment_name ON segment(tenantId, name COLLATE NOCASE);
                    -- Members of each generation; a refresh fills a new generation, then swaps the segment to it.
                    CREATE TABLE segmentMember (
                        segmentId INTEGER NOT NULL REFERENCES segment(id) ON DELETE CASCADE,
                        generation INTEGER NOT NULL,
                        profileRowId INTEGER NOT NULL,
                        PRIMARY KEY (segmentId, generation, profileRowId)
                    ) WITHOUT ROWID;
                    CREATE TABLE exportSegment (
                        exportId INTEGER NOT NULL REFERENCES export(id) ON DELETE CASCADE,
                        segmentId INTEGER NOT NULL REFERENCES segment(id),
                        PRIMARY KEY (exportId, segmentId)
                    );
                    CREATE INDEX exportSegment_segment ON exportSegment(segmentId);
                    """
            )
        }
        migrator.registerMigration("v5 import jobs that wait for an id column") { db in
            try db.execute(
                sql: """
                    -- An upload without a recognisable id column is kept (for an hour) until the person picks one.
                    ALTER TABLE importJob ADD COLUMN pendingFile TEXT;
                    ALTER TABLE importJob ADD COLUMN columns TEXT;
                    """
            )
        }
        // Issue 10, item 1: segment members must never become another workspace's profiles.
        migrator.registerMigration(
            "v6 profile ids never reused, members and export segments in one workspace",
            foreignKeyChecks: .deferred
        ) { db in
            try db.execute(
                sql: """
                    -- Memberships left behind by deleted profiles (older versions did not remove them) or naming a
                    -- profile of another workspace go first, so no freed id can bring them back.
                    DELETE FROM segmentMember WHERE NOT EXISTS (
                        SELECT 1 FROM profile JOIN segment ON segment.id = segmentMember.segmentId
                        WHERE profile.rowId = segmentMember.profileRowId AND profile.tenantId = segment.tenantId);
                    UPDATE segment SET memberCount = (
                        SELECT COUNT(*) FROM segmentMember
                        WHERE segmentMember.segmentId = segment.id AND segmentMember.generation = segment.generation);

                    -- AUTOINCREMENT: SQLite never hands out a row id again, even after the highest rows are deleted
                    -- (SQLite's 12-step table rebuild; nothing references profile by foreign key).
                    CREATE TABLE profile_new (
                        rowId INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        profileId TEXT NOT NULL,
                        attributes TEXT NOT NULL DEFAULT '{}',
                        importId INTEGER,
                        updatedAt DATETIME NOT NULL,
                        UNIQUE (tenantId, profileId)
                    );
                    INSERT INTO profile_new (rowId, tenantId, profileId, attributes, importId, updatedAt)
                        SELECT rowId, tenantId, profileId, attributes, importId, updatedAt FROM profile;
                    DROP TABLE profile;
                    ALTER TABLE profile_new RENAME TO profile;

                    -- An export and its segments belong to one workspace, whoever writes the link.
                    CREATE TRIGGER exportSegment_same_tenant_insert BEFORE INSERT ON exportSegment
                    WHEN (SELECT tenantId FROM export WHERE id = NEW.exportId)
                         IS NOT (SELECT tenantId FROM segment WHERE id = NEW.segmentId)
                    BEGIN SELECT RAISE(ABORT, 'export and segment belong to different workspaces'); END;
                    CREATE TRIGGER exportSegment_same_tenant_update BEFORE UPDATE ON exportSegment
                    WHEN (SELECT tenantId FROM export WHERE id = NEW.exportId)
                         IS NOT (SELECT tenantId FROM segment WHERE id = NEW.segmentId)
                    BEGIN SELECT RAISE(ABORT, 'export and segment belong to different workspaces'); END;
                    CREATE TRIGGER segment_tenant_fixed BEFORE UPDATE OF tenantId ON segment
                    WHEN NEW.tenantId IS NOT OLD.tenantId
                    BEGIN SELECT RAISE(ABORT, 'a segment stays in its workspace'); END;
                    CREATE TRIGGER export_tenant_fixed BEFORE UPDATE OF tenantId ON export
                    WHEN NEW.tenantId IS NOT OLD.tenantId
                    BEGIN SELECT RAISE(ABORT, 'an export stays in its workspace'); END;
                    """
            )
        }
        migrator.registerMigration("v6 import jobs record their upload file") { db in
            try db.execute(
                sql: """
                    -- The upload a job is reading (kept in the data folder's owner-only uploads/), so files no job
                    -- holds can be deleted at start.
                    ALTER TABLE importJob ADD COLUMN uploadFile TEXT;
                    """
            )
        }
        migrator.registerMigration("v7 export engine: exports, runs, frozen contacts, batches, ledger, baseline") { db in
            try db.execute(
                sql: """
                        -- Data matching: attribute ids (never names) for the email (required to run) and the optional fields.
                        ALTER TABLE export ADD COLUMN emailAttributeId INTEGER REFERENCES attribute(id) ON DELETE SET NULL;
                        ALTER TABLE export ADD COLUMN firstNameAttributeId INTEGER REFERENCES attribute(id) ON DELETE SET NULL;
                        ALTER TABLE export ADD COLUMN lastNameAttributeId INTEGER REFERENCES attribute(id) ON DELETE SET NULL;
                        ALTER TABLE export ADD COLUMN phoneAttributeId INTEGER REFERENCES attribute(id) ON DELETE SET NULL;
                        -- Off by default: exclude_automations is sent, so a first send never fires a welcome automation.
                        ALTER TABLE export ADD COLUMN runAutomations BOOLEAN NOT NULL DEFAULT 0;
                        ALTER TABLE export ADD COLUMN mirror BOOLEAN NOT NULL DEFAULT 0;
                        ALTER TABLE export ADD COLUMN mirrorGuardPercent INTEGER NOT NULL DEFAULT 20
                            CHECK (mirrorGuardPercent BETWEEN 1 AND 100);
                        -- 'needed' when mirror was turned on and the list's members have not been read yet.
                        ALTER TABLE export ADD COLUMN baselineState TEXT NOT NULL DEFAULT 'none'
                            CHECK (baselineState IN ('none', 'needed', 'read'));
                        CREATE UNIQUE INDEX export_name ON export(tenantId, name COLLATE NOCASE);

                        CREATE TABLE exportRun (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                            -- Removing an export removes its runs: a worker that re-reads a missing run stops.
                            exportId INTEGER NOT NULL REFERENCES export(id) ON DELETE CASCADE,
                            trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'run_all', 'manual', 'command_line')),
                            requestedByUserId INTEGER REFERENCES user(id) ON DELETE SET NULL,
                            requestedBy TEXT NOT NULL,
                            fullResync BOOLEAN NOT NULL DEFAULT 0,
                            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'needs_confirmation', 'succeeded',
                                'completed_with_errors', 'failed', 'canceled', 'skipped')),
                            phase TEXT NOT NULL DEFAULT 'prepare' CHECK (phase IN ('prepare', 'send', 'done')),
                            reason TEXT,
                            removalsConfirmed BOOLEAN NOT NULL DEFAULT 0,
                            leaseOwner TEXT,
                            leaseExpiresAt DATETIME,
                            heartbeatAt DATETIME,
                            claims INTEGER NOT NULL DEFAULT 0,
                            queuedAt DATETIME NOT NULL,
                            startedAt DATETIME,
                            finishedAt DATETIME,
                            members INTEGER NOT NULL DEFAULT 0,
                            duplicates INTEGER NOT NULL DEFAULT 0,
                            valid INTEGER NOT NULL DEFAULT 0,
                            invalid INTEGER NOT NULL DEFAULT 0,
                            unchanged INTEGER NOT NULL DEFAULT 0,
                            held INTEGER NOT NULL DEFAULT 0,
                            toSend INTEGER NOT NULL DEFAULT 0,
                            toUnsubscribe INTEGER NOT NULL DEFAULT 0,
                            sent INTEGER NOT NULL DEFAULT 0,
                            accepted INTEGER NOT NULL DEFAULT 0,
                            rejected INTEGER NOT NULL DEFAULT 0,
                            unsubscribed INTEGER NOT NULL DEFAULT 0,
                            batches INTEGER NOT NULL DEFAULT 0,
                            batchesConfirmed INTEGER NOT NULL DEFAULT 0,
                            requests INTEGER NOT NULL DEFAULT 0
                        );
                        -- At most one active run per export, whatever process asks.
                        CREATE UNIQUE INDEX exportRun_active ON exportRun(exportId)
                            WHERE state IN ('queued', 'running', 'needs_confirmation');
                        CREATE INDEX exportRun_export ON exportRun(exportId, id);
                        CREATE INDEX exportRun_queue ON exportRun(state, queuedAt) WHERE state IN ('queued', 'running');

                        -- Detaching an export (connection removed or changed) or giving it another list cancels its
                        -- queued and running runs in the same statement, whichever code path does it: their outcomes would
                        -- otherwise land in the ledger that the change just reset.
                        CREATE TRIGGER export_destination_changed AFTER UPDATE OF connectionId, listId ON export
                        WHEN NEW.connectionId IS NOT OLD.connectionId OR NEW.listId IS NOT OLD.listId
                        BEGIN
                        UPDATE exportRun SET state = 'canceled', phase = 'done', leaseOwner = NULL,
                            reason = CASE WHEN NEW.connectionId IS NULL THEN 'The export lost its connection.'
                                          WHEN NEW.connectionId IS NOT OLD.connectionId THEN 'The export was given another connection.'
                                          ELSE 'The export was given another list.' END,
                            finishedAt = strftime('%Y-%m-%d %H:%M:%f', 'now')
                        WHERE exportId = NEW.id AND state IN ('queued', 'running', 'needs_confirmation');
                        END;

                        -- The contacts a run will send, frozen at its start (a segment refresh mid-run changes nothing).
                        -- seq is the profile's row id (ascending: the lowest profile id wins an email), negative for
                        -- mirror removals.
                        CREATE TABLE runContact (
                        runId INTEGER NOT NULL REFERENCES exportRun(id) ON DELETE CASCADE,
                        seq INTEGER NOT NULL,
                        email TEXT NOT NULL,
                        profileId TEXT,
                        firstName TEXT,
                        lastName TEXT,
                        phone TEXT,
                        fingerprint TEXT,
                        action TEXT NOT NULL CHECK (action IN ('send', 'unchanged', 'held', 'invalid', 'unsubscribe')),
                        batchSeq INTEGER,
                        outcome TEXT CHECK (outcome IN ('accepted', 'rejected')),
                        reason TEXT,
                        PRIMARY KEY (runId, seq)
                        ) WITHOUT ROWID;
                        -- One row per email in a run: the insert that would add a second one is ignored.
                        CREATE UNIQUE INDEX runContact_email ON runContact(runId, email) WHERE action != 'invalid';
                        -- Named in queries with INDEXED BY: without statistics SQLite prefers the primary key's runId prefix,
                        -- which is a scan of the whole run for every batch.
                        CREATE INDEX runContact_batch ON runContact(runId, batchSeq, seq);
                        CREATE INDEX runContact_outcome ON runContact(runId, outcome, seq);

                        -- The checkpoint a resumed run starts from: a batch with an ActiveCampaign id is polled, never sent
                        -- again, unless ActiveCampaign says it failed.
                        CREATE TABLE runBatch (
                        runId INTEGER NOT NULL REFERENCES exportRun(id) ON DELETE CASCADE,
                        seq INTEGER NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('subscribe', 'unsubscribe')),
                        state TEXT NOT NULL CHECK (state IN ('planned', 'sent', 'confirmed', 'split')),
                        contacts INTEGER NOT NULL,
                        remoteBatchId TEXT,
                        posts INTEGER NOT NULL DEFAULT 0,
                        sentAt DATETIME,
                        pollAfter DATETIME,
                        polls INTEGER NOT NULL DEFAULT 0,
                        confirmedAt DATETIME,
                        PRIMARY KEY (runId, seq)
                        ) WITHOUT ROWID;

                        -- What this export knows it delivered, per normalised email: the incremental diff and the mirror.
                        CREATE TABLE exportLedger (
                        exportId INTEGER NOT NULL REFERENCES export(id) ON DELETE CASCADE,
                        email TEXT NOT NULL,
                        fingerprint TEXT,
                        deliveredAt DATETIME,
                        subscribedByExport BOOLEAN NOT NULL DEFAULT 0,
                        rejectStreak INTEGER NOT NULL DEFAULT 0,
                        rejectedFingerprint TEXT,
                        PRIMARY KEY (exportId, email)
                        );

                        -- The list's members when mirror was turned on: mirror never unsubscribes them.
                        CREATE TABLE exportBaseline (
                        exportId INTEGER NOT NULL REFERENCES export(id) ON DELETE CASCADE,
                        email TEXT NOT NULL,
                        PRIMARY KEY (exportId, email)
                        ) WITHOUT ROWID;

                        -- Each engine process's heartbeat, for `outbound status` and /healthz.
                        CREATE TABLE engineNode (
                        id TEXT PRIMARY KEY,
                        startedAt DATETIME NOT NULL,
                        heartbeatAt DATETIME NOT NULL,
                        stoppedAt DATETIME
                        );
                    """
            )
        }
        migrator.registerMigration("v8 run contacts: partial indexes for the rows a person reads") { db in
            // An index on every row's outcome was rewritten for each accepted contact; pages only list invalid and
            // rejected rows, which these partial indexes hold alone.
            try db.execute(
                sql: """
                    DROP INDEX runContact_outcome;
                    CREATE INDEX runContact_invalid ON runContact(runId, seq) WHERE action = 'invalid';
                    CREATE INDEX runContact_rejected ON runContact(runId, seq) WHERE outcome = 'rejected';
                    """
            )
        }
        migrator.registerMigration("v9 system refresh schedule") { db in
            try db.execute(
                sql: """
                    -- Each workspace's system refresh, in its time zone (tenant.timeZone). Off unless a row says
                    -- otherwise. nextRefreshAt is UTC; the scheduler claims a due refresh by moving it forward
                    -- with a compare-and-set, so only one engine process runs it.
                    CREATE TABLE systemRefresh (
                        tenantId INTEGER PRIMARY KEY REFERENCES tenant(id) ON DELETE CASCADE,
                        frequency TEXT NOT NULL DEFAULT 'off' CHECK (frequency IN ('off', 'daily', 'weekly')),
                        -- ISO weekdays as bits: Monday is 1 << 1, Sunday 1 << 7.
                        weekdays INTEGER NOT NULL DEFAULT 0 CHECK (weekdays BETWEEN 0 AND 254),
                        -- Up to four local times, "HH:MM" separated by commas.
                        times TEXT NOT NULL DEFAULT '' CHECK (length(times) <= 23),
                        nextRefreshAt DATETIME,
                        lastRefreshAt DATETIME,
                        lastRefreshSummary TEXT,
                        updatedAt DATETIME NOT NULL
                    );
                    CREATE INDEX systemRefresh_due ON systemRefresh(nextRefreshAt) WHERE nextRefreshAt IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v10 invitations") { db in
            try db.execute(
                sql: """
                    -- Adding a member by email invites the account (new or existing) into the workspace; it joins
                    -- only when its owner accepts, so the answer never tells whether the account existed. email is
                    -- as the administrator typed it: the account's own spelling would tell that too.
                    CREATE TABLE invitation (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenantId INTEGER NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        userId INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                        email TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('admin', 'contributor', 'viewer')),
                        invitedByEmail TEXT NOT NULL,
                        createdAt DATETIME NOT NULL,
                        UNIQUE (tenantId, userId)
                    );
                    CREATE INDEX invitation_user ON invitation(userId);
                    """
            )
        }
        migrator.registerMigration("v11 activity filters by kind and person") { db in
            try db.execute(
                sql: """
                    -- Admin > Activity filters by action and by who acted, newest first: each filter reads its own
                    -- index in order and stops at the page's end, however many events the workspace has.
                    CREATE INDEX activity_tenant_action ON activity(tenantId, action, id);
                    CREATE INDEX activity_tenant_actor ON activity(tenantId, actorEmail, id);
                    """
            )
        }
        migrator.registerMigration("v12 import jobs count rows without a usable email") { db in
            try db.execute(sql: "ALTER TABLE importJob ADD COLUMN rowsWithoutEmail INTEGER NOT NULL DEFAULT 0")
        }
        // Issue 14: Data > Profiles with a million profiles took a second a page. Its listing sorted the tenant's
        // rows (the only index led with profileId) and its count scanned them; now the listing reads an index in
        // row order and the count is kept per workspace by the two writes that add and remove profiles
        // (`upsertProfiles`, `deleteProfiles`; a trigger a row cost a million-row import a tenth more).
        migrator.registerMigration("v13 profiles listed by index, counted per workspace") { db in
            try db.execute(
                sql: """
                    CREATE INDEX profile_tenant_row ON profile(tenantId);
                    CREATE TABLE tenantProfileCount (
                        tenantId INTEGER PRIMARY KEY REFERENCES tenant(id) ON DELETE CASCADE,
                        profiles INTEGER NOT NULL DEFAULT 0
                    );
                    INSERT INTO tenantProfileCount (tenantId, profiles)
                        SELECT id, (SELECT COUNT(*) FROM profile WHERE profile.tenantId = tenant.id) FROM tenant;
                    CREATE TRIGGER tenant_profile_count_row AFTER INSERT ON tenant
                    BEGIN INSERT OR IGNORE INTO tenantProfileCount (tenantId) VALUES (NEW.id); END;
                    """
            )
        }
        // Issue 16: `outbound tenant delete` removes every row of a workspace, its Activity included; who deleted it
        // is kept in the server's own append-only log, which names the workspace and never its people.
        migrator.registerMigration("v14 workspaces can be deleted, server activity") { db in
            try db.execute(
                sql: """
                    DROP TRIGGER activity_no_delete;
                    CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
                    WHEN EXISTS (SELECT 1 FROM tenant WHERE id = OLD.tenantId)
                    BEGIN SELECT RAISE(ABORT, 'activity is append-only'); END;
                    CREATE TABLE serverActivity (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        createdAt DATETIME NOT NULL
                    );
                    CREATE TRIGGER serverActivity_no_update BEFORE UPDATE ON serverActivity
                    BEGIN SELECT RAISE(ABORT, 'server activity is append-only'); END;
                    CREATE TRIGGER serverActivity_no_delete BEFORE DELETE ON serverActivity
                    BEGIN SELECT RAISE(ABORT, 'server activity is append-only'); END;
                    """
            )
        }
        // Issue 12: a freeze keeps the emails it met in memory (one row per email is no longer the index's job),
        // and accepted contacts enter the ledger many batches at once, in email order; `recorded` says which
        // confirmed batches did. Batches confirmed before this version were recorded as they were confirmed.
        migrator.registerMigration("v15 run contacts without an email index, batches recorded in the ledger, streaks per run") { db in
            try db.execute(
                sql: """
                    DROP INDEX runContact_email;
                    ALTER TABLE runBatch ADD COLUMN recorded BOOLEAN NOT NULL DEFAULT 0;
                    UPDATE runBatch SET recorded = 1 WHERE state = 'confirmed';
                    -- The run that last counted a rejection: a streak counts once per run, also when a freeze
                    -- started over sends a contact again. (No foreign key: runs are pruned, streaks stay.)
                    ALTER TABLE exportLedger ADD COLUMN rejectedRunId INTEGER;
                    """
            )
        }
        // Issue 12: a batch's contacts are stored whole, beside the batch (its state changes often, its contacts
        // rarely: one table would rewrite them at every change). `runContact` keeps the rows a person reads.
        // Batches of unfinished runs take their contacts along; every other row to send is done with.
        migrator.registerMigration("v16 batch contacts stored whole") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runBatchContacts (
                        runId INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        payload BLOB NOT NULL,
                        PRIMARY KEY (runId, seq),
                        FOREIGN KEY (runId, seq) REFERENCES runBatch(runId, seq) ON DELETE CASCADE
                    );
                    """
            )
            let open = try Row.fetchAll(
                db,
                sql: """
                    SELECT b.runId, b.seq FROM runBatch b JOIN exportRun r ON r.id = b.runId
                    WHERE r.state IN ('queued', 'running', 'needs_confirmation')
                      AND (b.state IN ('planned', 'sent') OR (b.state = 'confirmed' AND b.kind = 'subscribe' AND b.recorded = 0))
                    """
            )
            for batch in open {
                let runId: Int64 = batch[0]
                let seq: Int64 = batch[1]
                let contacts = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT seq, email, firstName, lastName, phone, profileId, fingerprint FROM runContact
                        WHERE runId = ? AND batchSeq = ? AND (outcome IS NULL OR outcome = 'accepted') ORDER BY seq
                        """,
                    arguments: [runId, seq]
                ).map {
                    BatchContact(
                        seq: $0[0],
                        email: $0[1],
                        firstName: $0[2],
                        lastName: $0[3],
                        phone: $0[4],
                        profileId: $0[5],
                        fingerprint: $0[6]
                    )
                }
                // As this version stored them (later versions add columns).
                try db.execute(
                    sql: "INSERT INTO runBatchContacts (runId, seq, payload) VALUES (?, ?, ?)",
                    arguments: [runId, seq, BatchPayload.encodeVersion1(contacts)]
                )
                try db.execute(
                    sql: "UPDATE runBatch SET contacts = ? WHERE runId = ? AND seq = ?",
                    arguments: [contacts.count, runId, seq]
                )
            }
            // A confirmed batch's count is now what it delivered.
            try db.execute(
                sql: """
                    UPDATE runBatch SET contacts = (
                        SELECT COUNT(*) FROM runContact c WHERE c.runId = runBatch.runId AND c.batchSeq = runBatch.seq AND c.outcome = 'accepted')
                    WHERE state = 'confirmed' AND runId IN (SELECT id FROM exportRun WHERE state IN ('queued', 'running', 'needs_confirmation'))
                    """
            )
            try db.execute(sql: "DELETE FROM runContact WHERE action IN ('send', 'unsubscribe') AND outcome IS NOT 'rejected'")
            // Every query by batch is gone with the rows it found.
            try db.execute(sql: "DROP INDEX runContact_batch")
        }
        // Issue 12: what a batch enters in the ledger, readable by SQL, so the ledger merge is one sorted statement.
        migrator.registerMigration("v17 batch ledger entries") { db in
            // Filled from the payloads in earlier releases; v19 drops the column (the merge now reads the
            // payloads), so nothing fills it on the way there.
            try db.execute(sql: "ALTER TABLE runBatchContacts ADD COLUMN ledgerEntries TEXT NOT NULL DEFAULT '{}'")
        }
        // Issue 12: stored batches are written in payload version 2 from here on. No table changes; the migration
        // makes a release that cannot read version 2 refuse this database rather than fail its runs (and Forget).
        migrator.registerMigration("v18 batch payload version 2") { _ in }
        // Issue 12: the ledger merge reads a batch's entries from its payload (`batch_ledger_entries`): a second
        // copy of every email, written, checkpointed and zeroed when freed, is no longer stored.
        migrator.registerMigration("v19 batch ledger entries read from the payload") { db in
            try db.execute(sql: "ALTER TABLE runBatchContacts DROP COLUMN ledgerEntries")
        }
        return migrator
    }
}
