import Foundation
import SQLKit

/// The metadata schema, as ordered migrations. Each migration is portable SQL with three placeholders
/// filled per engine: `{{pk}}` (auto-increment primary key), `{{bool}}` and `{{bytes}}`.
///
/// The model follows Quay's (users and organizations share one `account` table; manifests are per
/// repository; tags have a lifetime for the time machine).
enum Schema {
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE account (
                id {{pk}},
                uuid TEXT NOT NULL UNIQUE,
                username TEXT NOT NULL UNIQUE,
                email TEXT,
                password_hash TEXT,
                is_organization {{bool}} NOT NULL DEFAULT FALSE,
                is_robot {{bool}} NOT NULL DEFAULT FALSE,
                enabled {{bool}} NOT NULL DEFAULT TRUE,
                verified {{bool}} NOT NULL DEFAULT TRUE,
                removed_tag_expiration_s BIGINT NOT NULL DEFAULT 1209600,
                created_ms BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE oauth_access_token (
                id {{pk}},
                uuid TEXT NOT NULL UNIQUE,
                token_name TEXT NOT NULL UNIQUE,
                token_code_hash TEXT NOT NULL,
                account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                scopes TEXT NOT NULL,
                expires_ms BIGINT,
                created_ms BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE service_key (
                kid TEXT PRIMARY KEY,
                service TEXT NOT NULL,
                public_key_pem TEXT NOT NULL,
                created_ms BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE repository (
                id {{pk}},
                namespace_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                visibility TEXT NOT NULL,
                state INTEGER NOT NULL DEFAULT 0,
                kind TEXT NOT NULL DEFAULT 'image',
                description TEXT,
                created_ms BIGINT NOT NULL,
                last_modified_ms BIGINT NOT NULL,
                UNIQUE (namespace_id, name)
            )
            """,
            """
            CREATE TABLE repository_permission (
                id {{pk}},
                repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                UNIQUE (repository_id, account_id)
            )
            """,
            "CREATE INDEX repository_permission_account ON repository_permission (account_id)",
            """
            CREATE TABLE blob (
                id {{pk}},
                digest TEXT NOT NULL UNIQUE,
                size BIGINT NOT NULL,
                created_ms BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE uploaded_blob (
                id {{pk}},
                repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                blob_id BIGINT NOT NULL REFERENCES blob(id),
                expires_ms BIGINT NOT NULL
            )
            """,
            "CREATE INDEX uploaded_blob_repository ON uploaded_blob (repository_id, blob_id)",
            """
            CREATE TABLE blob_upload (
                id {{pk}},
                uuid TEXT NOT NULL UNIQUE,
                repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                byte_count BIGINT NOT NULL DEFAULT 0,
                created_ms BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL
            )
            """,
            "CREATE INDEX blob_upload_updated ON blob_upload (updated_ms)",
            """
            CREATE TABLE manifest (
                id {{pk}},
                repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                digest TEXT NOT NULL,
                media_type TEXT NOT NULL,
                manifest_bytes TEXT NOT NULL,
                size BIGINT NOT NULL,
                config_media_type TEXT,
                artifact_type TEXT,
                subject_digest TEXT,
                annotations_json TEXT,
                layers_size BIGINT NOT NULL DEFAULT 0,
                created_ms BIGINT NOT NULL,
                UNIQUE (repository_id, digest)
            )
            """,
            "CREATE INDEX manifest_subject ON manifest (repository_id, subject_digest)",
            """
            CREATE TABLE manifest_blob (
                manifest_id BIGINT NOT NULL REFERENCES manifest(id) ON DELETE CASCADE,
                blob_id BIGINT NOT NULL REFERENCES blob(id),
                repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                PRIMARY KEY (manifest_id, blob_id)
            )
            """,
            "CREATE INDEX manifest_blob_repository ON manifest_blob (repository_id, blob_id)",
            """
            CREATE TABLE manifest_child (
                manifest_id BIGINT NOT NULL REFERENCES manifest(id) ON DELETE CASCADE,
                child_manifest_id BIGINT NOT NULL REFERENCES manifest(id),
                repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                PRIMARY KEY (manifest_id, child_manifest_id)
            )
            """,
            "CREATE INDEX manifest_child_child ON manifest_child (child_manifest_id)",
            """
            CREATE TABLE tag (
                id {{pk}},
                repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                manifest_id BIGINT REFERENCES manifest(id),
                lifetime_start_ms BIGINT NOT NULL,
                lifetime_end_ms BIGINT,
                hidden {{bool}} NOT NULL DEFAULT FALSE,
                reversion {{bool}} NOT NULL DEFAULT FALSE,
                immutable {{bool}} NOT NULL DEFAULT FALSE
            )
            """,
            "CREATE INDEX tag_repository_name ON tag (repository_id, name, lifetime_end_ms)",
            "CREATE UNIQUE INDEX tag_one_open_row ON tag (repository_id, name) WHERE lifetime_end_ms IS NULL",
            "CREATE INDEX tag_manifest ON tag (manifest_id, lifetime_end_ms)",
            """
            CREATE TABLE label (
                id {{pk}},
                uuid TEXT NOT NULL UNIQUE,
                label_key TEXT NOT NULL,
                label_value TEXT NOT NULL,
                media_type TEXT NOT NULL,
                source_type TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE manifest_label (
                manifest_id BIGINT NOT NULL REFERENCES manifest(id) ON DELETE CASCADE,
                label_id BIGINT NOT NULL REFERENCES label(id) ON DELETE CASCADE,
                repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                PRIMARY KEY (manifest_id, label_id)
            )
            """,
        ],
        identityMigration,
        loginThrottleMigration,
        messagesMigration,
        activityMigration,
        tagHistoryMigration,
        logExportMigration,
        listingIndexesMigration,
        portusMigration,
        tagPagesMigration,
        uploadCommitMigration,
        repositoryBlobMigration,
        eventOutboxMigration,
        uploadPartMigration,
        outboxWithoutIndexMigration,
    ]

    /// The outbox is short (events leave it once delivered) and claimed in id order, so an index on its
    /// creation time only cost every change one more page to write.
    static let outboxWithoutIndexMigration: [String] = [
        "DROP INDEX domain_event_created",
    ]

    /// The parts an upload is made of, in order: every append writes a part of its own to storage, and
    /// the one whose compare-and-set on the upload's size wins records its part here, in the same
    /// transaction (so two requests never both count, and storage needs no locks).
    static let uploadPartMigration: [String] = [
        """
        CREATE TABLE blob_upload_part (
            upload_uuid TEXT NOT NULL,
            start_offset BIGINT NOT NULL,
            byte_count BIGINT NOT NULL,
            path TEXT NOT NULL,
            PRIMARY KEY (upload_uuid, start_offset)
        )
        """,
    ]

    /// The outbox of domain events: each is written in the transaction of the change it describes and
    /// removed once delivered; an audit-log entry names the event it came from, so a redelivered event
    /// (its deliverer died before removing it) is not logged twice.
    static let eventOutboxMigration: [String] = [
        """
        CREATE TABLE domain_event (
            id {{pk}},
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            claimed_until_ms BIGINT
        )
        """,
        "CREATE INDEX domain_event_created ON domain_event (created_ms)",
        "ALTER TABLE log_entry ADD COLUMN event_id BIGINT",
        "CREATE UNIQUE INDEX log_entry_event ON log_entry (event_id)",
    ]

    /// The blobs a repository serves, in one table: uploaded or mounted ones until `expires_ms`, and those
    /// of its manifests for good (`expires_ms` NULL). Deleting a blob from a repository removes its link
    /// whatever holds it (as in distribution); `manifest_blob` keeps what each manifest references.
    static let repositoryBlobMigration: [String] = [
        """
        CREATE TABLE repository_blob (
            repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
            blob_id BIGINT NOT NULL REFERENCES blob(id),
            expires_ms BIGINT,
            PRIMARY KEY (repository_id, blob_id)
        )
        """,
        """
        INSERT INTO repository_blob (repository_id, blob_id, expires_ms)
        SELECT repository_id, blob_id, MAX(expires_ms) FROM uploaded_blob GROUP BY repository_id, blob_id
        """,
        """
        INSERT INTO repository_blob (repository_id, blob_id, expires_ms)
        SELECT DISTINCT repository_id, blob_id, CAST(NULL AS BIGINT) FROM manifest_blob WHERE true
        ON CONFLICT (repository_id, blob_id) DO UPDATE SET expires_ms = NULL
        """,
        "DROP TABLE uploaded_blob",
    ]

    /// Uploads finish idempotently: the digest an upload was verified as is recorded before its bytes are
    /// moved into place, so a completion cut off after the move can be finished by the client's retry.
    static let uploadCommitMigration: [String] = [
        "ALTER TABLE blob_upload ADD COLUMN committed_digest TEXT",
    ]

    /// Pages of tag history at any depth: a per-repository version of its tags (bumped with every tag
    /// change; `TagPageAnchors` are kept per version), an index of the rows that never end (the alive
    /// list) and one by end time (the rows that end later, and when the next row leaves a listing).
    static let tagPagesMigration: [String] = [
        "ALTER TABLE repository ADD COLUMN tag_version BIGINT NOT NULL DEFAULT 0",
        "CREATE INDEX tag_open_page ON tag (repository_id, lifetime_start_ms DESC, name, id DESC) WHERE lifetime_end_ms IS NULL AND hidden = FALSE",
        "CREATE INDEX tag_repository_end ON tag (repository_id, lifetime_end_ms)",
    ]

    /// What the Portus API adds to the shared model: superusers kept in the database (Portus
    /// administrators), bot users, display names and sign-in times; a namespace's visibility
    /// (`private`, `protected`, `public`), description and owning team; teams' times; team members
    /// with ids and per-member roles (`viewer`, `contributor`, `owner`); who pushed each tag; a manifest's
    /// security-scan state; and the name of the registry Wharf is.
    static let portusMigration: [String] = [
        "ALTER TABLE account ADD COLUMN superuser {{bool}} NOT NULL DEFAULT FALSE",
        "ALTER TABLE account ADD COLUMN bot {{bool}} NOT NULL DEFAULT FALSE",
        "ALTER TABLE account ADD COLUMN display_name TEXT",
        "ALTER TABLE account ADD COLUMN description TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE account ADD COLUMN namespace_visibility TEXT NOT NULL DEFAULT 'private'",
        "ALTER TABLE account ADD COLUMN owner_team_id BIGINT REFERENCES team(id) ON DELETE SET NULL",
        "ALTER TABLE account ADD COLUMN system_role TEXT",
        "ALTER TABLE account ADD COLUMN updated_ms BIGINT",
        "ALTER TABLE account ADD COLUMN current_sign_in_ms BIGINT",
        "ALTER TABLE account ADD COLUMN last_sign_in_ms BIGINT",
        "CREATE INDEX account_owner_team ON account (owner_team_id)",
        "ALTER TABLE team ADD COLUMN created_ms BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE team ADD COLUMN updated_ms BIGINT NOT NULL DEFAULT 0",
        """
        CREATE TABLE team_membership (
            id {{pk}},
            team_id BIGINT NOT NULL REFERENCES team(id) ON DELETE CASCADE,
            account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            role TEXT,
            created_ms BIGINT NOT NULL,
            updated_ms BIGINT NOT NULL,
            UNIQUE (team_id, account_id)
        )
        """,
        "INSERT INTO team_membership (team_id, account_id, role, created_ms, updated_ms) SELECT team_id, account_id, NULL, 0, 0 FROM team_member",
        "DROP TABLE team_member",
        "ALTER TABLE team_membership RENAME TO team_member",
        "CREATE INDEX team_member_account ON team_member (account_id)",
        "ALTER TABLE tag ADD COLUMN pusher_id BIGINT REFERENCES account(id) ON DELETE SET NULL",
        "ALTER TABLE manifest ADD COLUMN scan_state INTEGER NOT NULL DEFAULT 0",
        """
        CREATE TABLE registry_setting (
            id {{pk}},
            name TEXT NOT NULL,
            external_hostname TEXT,
            created_ms BIGINT NOT NULL,
            updated_ms BIGINT NOT NULL
        )
        """,
    ]

    /// Indexes that keep pages of tag history and of a namespace's repositories cheap at scale: the
    /// history order with the columns its filters read (so a page is chosen from the index alone), and
    /// a namespace's repositories in id order (the listing's order).
    static let listingIndexesMigration: [String] = [
        "CREATE INDEX tag_history_page ON tag (repository_id, lifetime_start_ms DESC, name, id DESC, hidden, lifetime_end_ms)",
        "CREATE INDEX repository_namespace_order ON repository (namespace_id, id)",
    ]

    /// Exports of the audit log: queued by the API, written by a worker on any node, served by URL.
    static let logExportMigration: [String] = [
        """
        CREATE TABLE log_export (
            id {{pk}},
            uuid TEXT NOT NULL UNIQUE,
            file_key TEXT NOT NULL,
            account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            repository_id BIGINT REFERENCES repository(id) ON DELETE CASCADE,
            start_ms BIGINT NOT NULL,
            end_ms BIGINT NOT NULL,
            callback_url TEXT,
            callback_email TEXT,
            status TEXT NOT NULL,
            content TEXT,
            claimed_ms BIGINT,
            created_ms BIGINT NOT NULL
        )
        """,
        "CREATE INDEX log_export_status ON log_export (status, created_ms)",
    ]

    /// Tag history listed newest first per repository.
    static let tagHistoryMigration: [String] = [
        "CREATE INDEX tag_repository_start ON tag (repository_id, lifetime_start_ms)",
    ]

    /// Pulls and pushes per repository and day (popularity and statistics).
    static let activityMigration: [String] = [
        """
        CREATE TABLE repository_action_count (
            repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (repository_id, day)
        )
        """,
    ]

    /// Global messages shown to every user.
    static let messagesMigration: [String] = [
        """
        CREATE TABLE global_message (
            id {{pk}},
            uuid TEXT NOT NULL UNIQUE,
            content TEXT NOT NULL,
            media_type TEXT NOT NULL,
            severity TEXT NOT NULL
        )
        """,
    ]

    /// Failed-login counters (for back-off) and one pending invitation per person and team.
    static let loginThrottleMigration: [String] = [
        "ALTER TABLE account ADD COLUMN invalid_login_attempts INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE account ADD COLUMN last_invalid_login_ms BIGINT",
        "CREATE UNIQUE INDEX team_member_invite_account ON team_member_invite (team_id, account_id) WHERE account_id IS NOT NULL",
        "CREATE UNIQUE INDEX team_member_invite_email ON team_member_invite (team_id, email) WHERE email IS NOT NULL",
    ]

    /// Organizations, teams, robots, tokens, sessions, stars, default permissions and the audit log.
    static let identityMigration: [String] = [
        """
        CREATE TABLE team (
            id {{pk}},
            organization_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            UNIQUE (organization_id, name)
        )
        """,
        """
        CREATE TABLE team_member (
            team_id BIGINT NOT NULL REFERENCES team(id) ON DELETE CASCADE,
            account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            PRIMARY KEY (team_id, account_id)
        )
        """,
        "CREATE INDEX team_member_account ON team_member (account_id)",
        """
        CREATE TABLE team_member_invite (
            id {{pk}},
            team_id BIGINT NOT NULL REFERENCES team(id) ON DELETE CASCADE,
            account_id BIGINT REFERENCES account(id) ON DELETE CASCADE,
            email TEXT,
            inviter_id BIGINT REFERENCES account(id) ON DELETE SET NULL,
            code_hash TEXT NOT NULL UNIQUE,
            created_ms BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE team_repository_permission (
            id {{pk}},
            repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
            team_id BIGINT NOT NULL REFERENCES team(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            UNIQUE (repository_id, team_id)
        )
        """,
        "CREATE INDEX team_repository_permission_team ON team_repository_permission (team_id)",
        """
        CREATE TABLE robot (
            account_id BIGINT PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
            owner_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            description TEXT NOT NULL DEFAULT '',
            unstructured_json TEXT NOT NULL DEFAULT '{}',
            token_hash TEXT NOT NULL,
            token_sealed TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            last_accessed_ms BIGINT
        )
        """,
        "CREATE INDEX robot_owner ON robot (owner_id)",
        """
        CREATE TABLE star (
            account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            repository_id BIGINT NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
            created_ms BIGINT NOT NULL,
            PRIMARY KEY (account_id, repository_id)
        )
        """,
        """
        CREATE TABLE prototype (
            id {{pk}},
            uuid TEXT NOT NULL UNIQUE,
            organization_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            activating_account_id BIGINT REFERENCES account(id) ON DELETE CASCADE,
            delegate_account_id BIGINT REFERENCES account(id) ON DELETE CASCADE,
            delegate_team_id BIGINT REFERENCES team(id) ON DELETE CASCADE,
            role TEXT NOT NULL
        )
        """,
        "CREATE INDEX prototype_organization ON prototype (organization_id)",
        """
        CREATE TABLE app_token (
            id {{pk}},
            uuid TEXT NOT NULL UNIQUE,
            account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            token_name TEXT NOT NULL UNIQUE,
            token_hash TEXT NOT NULL,
            token_sealed TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            expires_ms BIGINT,
            last_accessed_ms BIGINT
        )
        """,
        "CREATE INDEX app_token_account ON app_token (account_id)",
        """
        CREATE TABLE oauth_application (
            id {{pk}},
            client_id TEXT NOT NULL UNIQUE,
            client_secret_hash TEXT NOT NULL,
            client_secret_sealed TEXT NOT NULL,
            organization_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            application_uri TEXT NOT NULL DEFAULT '',
            redirect_uri TEXT NOT NULL DEFAULT '',
            avatar_email TEXT
        )
        """,
        "ALTER TABLE oauth_access_token ADD COLUMN application_id BIGINT REFERENCES oauth_application(id) ON DELETE CASCADE",
        """
        CREATE TABLE oauth_authorization_code (
            id {{pk}},
            application_id BIGINT NOT NULL REFERENCES oauth_application(id) ON DELETE CASCADE,
            account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            code_name TEXT NOT NULL UNIQUE,
            code_hash TEXT NOT NULL,
            scopes TEXT NOT NULL,
            redirect_uri TEXT NOT NULL,
            expires_ms BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE web_session (
            id {{pk}},
            session_name TEXT NOT NULL UNIQUE,
            session_hash TEXT NOT NULL,
            csrf_token TEXT NOT NULL,
            account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            created_ms BIGINT NOT NULL,
            expires_ms BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE log_entry (
            id {{pk}},
            kind TEXT NOT NULL,
            account_id BIGINT,
            performer_id BIGINT,
            repository_id BIGINT,
            datetime_ms BIGINT NOT NULL,
            ip TEXT,
            metadata_json TEXT NOT NULL DEFAULT '{}'
        )
        """,
        "CREATE INDEX log_entry_account ON log_entry (account_id, datetime_ms)",
        "CREATE INDEX log_entry_performer ON log_entry (performer_id, datetime_ms)",
        "CREATE INDEX log_entry_repository ON log_entry (repository_id, datetime_ms)",
        "CREATE INDEX log_entry_datetime ON log_entry (datetime_ms)",
    ]

    /// `statement` with the engine's types filled in.
    static func render(_ statement: String, for engine: SQLEngine) -> String {
        let (pk, bool, bytes) = engine == .sqlite
            ? ("INTEGER PRIMARY KEY AUTOINCREMENT", "BOOLEAN", "BLOB")
            : ("BIGSERIAL PRIMARY KEY", "BOOLEAN", "BYTEA")
        return statement
            .replacingOccurrences(of: "{{pk}}", with: pk)
            .replacingOccurrences(of: "{{bool}}", with: bool)
            .replacingOccurrences(of: "{{bytes}}", with: bytes)
    }
}

/// Applies the schema migrations that a database has not seen yet.
enum Migrator {
    static func migrate(_ pool: DatabasePool) async throws {
        try await pool.transaction { db in
            if pool.engine == .postgres {
                try await db.raw("SELECT pg_advisory_xact_lock(4242001)").run()
            }
            try await db.raw("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)").run()
            let current = try await db.raw("SELECT MAX(version) AS version FROM schema_version")
                .first(decodingColumn: "version", as: Int?.self) ?? nil
            for (index, statements) in Schema.migrations.enumerated() where index + 1 > (current ?? 0) {
                for statement in statements {
                    try await db.raw(SQLQueryString(Schema.render(statement, for: pool.engine))).run()
                }
                try await db.raw("INSERT INTO schema_version (version) VALUES (\(bind: index + 1))").run()
            }
        }
    }
}
