import WharfMetadata

/// Tests seed and change the store directly, each change in a transaction of its own (the server changes
/// it only through the domain's services). The signatures are the store's own, so that a test reads as
/// the change it makes.
extension MetadataStore {
    public func createUser(username: String, email: String?, passwordHash: String?, onlyIfFirst: Bool = false) async throws -> AccountRecord {
        try await transaction { tx in try await tx.createUser(username: username, email: email, passwordHash: passwordHash, onlyIfFirst: onlyIfFirst) }
    }

    public func createUser(username: String, email: String?, passwordHash: String?, displayName: String?, bot: Bool, superuser: Bool,
                           onlyIfFirst: Bool) async throws -> AccountRecord {
        try await transaction { tx in
            try await tx.createUser(username: username, email: email, passwordHash: passwordHash, displayName: displayName, bot: bot,
                                    superuser: superuser, onlyIfFirst: onlyIfFirst)
        }
    }

    public func createOrganization(name: String, email: String?, creatorID: Int64?, ownerTeamID: Int64? = nil,
                                   description: String = "") async throws -> AccountRecord {
        try await transaction { tx in
            try await tx.createOrganization(name: name, email: email, creatorID: creatorID, ownerTeamID: ownerTeamID, description: description)
        }
    }

    /// Creates a repository; `creatorID`, when given, administers it (as a creator through the API would).
    public func createRepository(namespaceID: Int64, name: String, visibility: Visibility, creatorID: Int64? = nil) async throws -> RepositoryRecord {
        try await transaction { tx in
            guard let repository = try await tx.createRepository(namespaceID: namespaceID, name: name, visibility: visibility) else {
                throw MetadataError.conflict("repository \(name) exists")
            }
            if let creatorID { try await tx.setPermission(repositoryID: repository.id, accountID: creatorID, role: .admin) }
            return repository
        }
    }

    public func deleteRepository(id: Int64) async throws {
        try await transaction { tx in try await tx.deleteRepository(id: id) }
    }

    public func deleteAccount(id: Int64) async throws {
        try await transaction { tx in try await tx.deleteAccount(id: id) }
    }

    public func setVisibility(repositoryID: Int64, _ visibility: Visibility) async throws {
        try await transaction { tx in try await tx.setVisibility(repositoryID: repositoryID, visibility) }
    }

    public func setPermission(repositoryID: Int64, accountID: Int64, role: RepositoryRole) async throws {
        try await transaction { tx in try await tx.setPermission(repositoryID: repositoryID, accountID: accountID, role: role) }
    }

    public func saveTeam(organizationID: Int64, name: String, role: TeamRole, description: String?) async throws -> (team: TeamRecord, created: Bool) {
        try await transaction { tx in try await tx.saveTeam(organizationID: organizationID, name: name, role: role, description: description) }
    }

    public func addTeamMember(teamID: Int64, accountID: Int64) async throws {
        try await transaction { tx in try await tx.addTeamMember(teamID: teamID, accountID: accountID) }
    }

    @discardableResult
    public func addTeamMember(teamID: Int64, accountID: Int64, role: MemberRole) async throws -> TeamMemberRecord? {
        try await transaction { tx in try await tx.addTeamMember(teamID: teamID, accountID: accountID, role: role) }
    }

    public func createAppToken(accountID: Int64, title: String, tokenName: String, tokenHash: String, tokenSealed: String, expiresMs: Int64?,
                               uniquePerAccount limit: Int? = nil) async throws -> AppTokenRecord {
        try await transaction { tx in
            try await tx.createAppToken(accountID: accountID, title: title, tokenName: tokenName, tokenHash: tokenHash, tokenSealed: tokenSealed,
                                        expiresMs: expiresMs, uniquePerAccount: limit)
        }
    }

    public func deleteAppToken(id: Int64) async throws {
        try await transaction { tx in try await tx.deleteAppToken(id: id) }
    }

    public func createAuthorizationCode(applicationID: Int64, accountID: Int64, codeName: String, codeHash: String, scopes: String,
                                        redirectURI: String, expiresMs: Int64) async throws {
        try await transaction { tx in
            try await tx.createAuthorizationCode(applicationID: applicationID, accountID: accountID, codeName: codeName, codeHash: codeHash,
                                                 scopes: scopes, redirectURI: redirectURI, expiresMs: expiresMs)
        }
    }

    public func registrySetting(defaultName: String) async throws -> RegistrySettingRecord {
        try await transaction { tx in try await tx.registrySetting(defaultName: defaultName) }
    }

    public func star(accountID: Int64, repositoryID: Int64) async throws {
        try await transaction { tx in try await tx.star(accountID: accountID, repositoryID: repositoryID) }
    }

    /// Stores a manifest and points `target` at it, as a push does.
    @discardableResult
    public func putManifest(_ manifest: NewManifest, target: ManifestTarget, pusherID: Int64? = nil) async throws -> ManifestRecord {
        try await transaction { tx in
            let stored = try await tx.storeManifest(manifest)
            switch target {
            case .tag(let name):
                _ = try await tx.moveTag(repositoryID: manifest.repositoryId, name: name, manifestID: stored.id, reversion: false, pusherID: pusherID)
            case .hidden(let expiresMs):
                try await tx.addHiddenTag(repositoryID: manifest.repositoryId, manifestID: stored.id, expiresMs: expiresMs)
            }
            return stored
        }
    }

    public func deleteTag(repositoryID: Int64, name: String) async throws -> Bool {
        try await transaction { tx in try await tx.deleteTag(repositoryID: repositoryID, name: name) }
    }

    public func setTagEnd(_ tag: TagHistoryRow, to endMs: Int64?) async throws -> Bool {
        try await transaction { tx in try await tx.setTagEnd(tag, to: endMs) }
    }

    public func createUpload(uuid: String, repositoryID: Int64) async throws {
        try await transaction { tx in try await tx.createUpload(uuid: uuid, repositoryID: repositoryID) }
    }

    public func deleteUpload(uuid: String) async throws {
        try await transaction { tx in try await tx.deleteUpload(uuid: uuid) }
    }

    public func markUploadCommitted(uuid: String, byteCount: Int64, digest: String) async throws -> Bool {
        try await transaction { tx in try await tx.markUploadCommitted(uuid: uuid, byteCount: byteCount, digest: digest) }
    }

    public func linkUploadedBlob(repositoryID: Int64, digest: String, size: Int64, expiresMs: Int64) async throws {
        try await transaction { tx in try await tx.linkUploadedBlob(repositoryID: repositoryID, digest: digest, size: size, expiresMs: expiresMs) }
    }
}
