import Foundation
import WharfMetadata
import WharfOCI

/// Tags as the APIs manage them, with Quay's time machine: history, expiration, moving, deleting and
/// restoring. Each change is logged with Quay's kind.
public struct TagService: Sendable {
    let store: MetadataStore

    /// The shortest and longest expiration Quay lets a tag be given, counted from when it was pushed
    /// (`LABELED_EXPIRATION_MINIMUM` 1h, `LABELED_EXPIRATION_MAXIMUM` 104w).
    public static let expirationBounds: ClosedRange<Int64> = 3_600...(104 * 604_800)
    /// The latest date an expiration may name (the end of the year 9999, Python's limit in Quay); later
    /// ones, like numbers too large for a date, are refused.
    static let latestDate: Double = 253_402_300_799

    public init(store: MetadataStore) {
        self.store = store
    }

    /// The repository's tag history rows that `query` selects; the window is the namespace's.
    public func history(of repository: RepositoryRecord, name: TagHistoryQuery.NameFilter, onlyActive: Bool,
                        offset: Int, limit: Int) async throws -> [TagHistoryRow] {
        try await store.tagHistory(repositoryID: repository.id, TagHistoryQuery(
            name: name, onlyActive: onlyActive, windowSeconds: repository.tagExpirationSeconds, offset: offset, limit: limit,
            tagVersion: repository.tagVersion))
    }

    /// Sets (or with nil clears) when the alive tag expires; the date must be in the future and is kept
    /// between 1 hour and 104 weeks after the tag was pushed.
    public func changeExpiration(_ repository: RepositoryRecord, tag name: String, to expiration: Date?, by performer: Performer) async throws {
        try Self.requireWritable(repository)
        guard let tag = try await store.aliveTag(repositoryID: repository.id, name: name) else { throw DomainError.notFound }
        var endMs: Int64?
        if let expiration {
            let seconds = expiration.timeIntervalSince1970
            guard seconds.isFinite, seconds <= Self.latestDate else { throw DomainError.invalidRequest("Invalid expiration") }
            guard expiration > Date() else { throw DomainError.invalidRequest("Expiration must be in the future") }
            let offset = min(max(seconds - Double(tag.startMs / 1000), Double(Self.expirationBounds.lowerBound)),
                             Double(Self.expirationBounds.upperBound))
            endMs = tag.startMs + Int64(offset) * 1000
        }
        guard endMs != tag.endMs else { return }
        try await store.transaction { tx in
            guard try await tx.setTagEnd(tag, to: endMs) else {
                throw DomainError.invalidRequest("Could not update tag expiration; Tag has probably changed")
            }
            try await tx.emit(.changeTagExpiration, by: performer, repository: repository, details: [
                "username": performer.account?.username, "repo": repository.name, "namespace": repository.namespaceName, "tag": name,
                "expiration_date": endMs.map(Self.logDate), "old_expiration_date": tag.endMs.map(Self.logDate),
            ])
        }
    }

    /// Points tag `name` at the manifest `digest`, which must be reachable in the repository.
    public func move(_ repository: RepositoryRecord, tag name: String, to digest: String, by performer: Performer) async throws {
        guard let manifest = try await store.reachableManifest(repositoryID: repository.id, digest: digest) else { throw DomainError.notFound }
        try await store.transaction { tx in
            let move = try await point(name, at: manifest, in: repository, by: performer, tx: tx)
            let original: String?
            switch move {
            case .unchanged: return
            case .created: original = nil
            case .moved(let from): original = from
            }
            var details = Self.details(repository, tag: name, digest: digest, by: performer)
            details["original_manifest_digest"] = original
            try await tx.emit(original == nil ? .createTag : .moveTag, by: performer, repository: repository, details: details)
        }
    }

    /// Points tag `name` at `manifest` as part of `tx`: the one way a tag is created or moved, by the
    /// API or by a push. The repository must take changes and the name must be valid; the caller
    /// records the event that says why the tag moved.
    func point(_ name: String, at manifest: ManifestRecord, in repository: RepositoryRecord, by performer: Performer,
               tx: StoreTransaction) async throws -> TagMove {
        try Self.requireWritable(repository)
        try Self.validate(name)
        let pusherID: Int64?
        if let account = performer.account {
            pusherID = account.id
        } else if let name = performer.name {
            pusherID = try await tx.account(named: name)?.id
        } else {
            pusherID = nil
        }
        return try await tx.moveTag(repositoryID: repository.id, name: name, manifestID: manifest.id, reversion: false, pusherID: pusherID)
    }

    /// Ends the alive tag; it stays restorable for the namespace's time-machine window. The caller's
    /// `grant` must allow deleting in the repository.
    public func delete(_ name: String, with grant: RepositoryGrant, by performer: Performer) async throws {
        let repository = grant.repository
        try Self.requireWritable(repository)
        try grant.require(.delete)
        try await store.transaction { tx in
            guard let tag = try await tx.aliveTag(repositoryID: repository.id, name: name),
                  try await tx.deleteTag(repositoryID: repository.id, name: name) else { throw DomainError.notFound }
            try await tx.emit(.deleteTag, by: performer, repository: repository,
                              details: Self.details(repository, tag: name, digest: tag.manifestDigest, by: performer))
        }
    }

    /// Ends every alive tag pointing at the manifest `digest`, as deleting the manifest from the registry
    /// does (Portus deletes a tag so); each stays restorable. The names of the tags deleted.
    @discardableResult
    public func deleteAll(pointingAt digest: String, with grant: RepositoryGrant, by performer: Performer) async throws -> [String] {
        let repository = grant.repository
        try Self.requireWritable(repository)
        try grant.require(.delete)
        return try await store.transaction { tx in
            let names = try await tx.tagNames(repositoryID: repository.id, pointingAt: digest)
            for name in names where try await tx.deleteTag(repositoryID: repository.id, name: name) {
                try await tx.emit(.deleteTag, by: performer, repository: repository,
                                  details: Self.details(repository, tag: name, digest: digest, by: performer))
            }
            return names
        }
    }

    /// Points tag `name` back at the manifest `digest`, which may be dead but not past the time-machine window.
    public func restore(_ repository: RepositoryRecord, tag name: String, to digest: String, by performer: Performer) async throws {
        try Self.requireWritable(repository)
        try Self.validate(name)
        guard let manifest = try await store.restorableManifest(repositoryID: repository.id, digest: digest,
                                                                windowSeconds: repository.tagExpirationSeconds) else {
            throw DomainError.notFound
        }
        try await store.transaction { tx in
            let current = try await tx.aliveTag(repositoryID: repository.id, name: name)
            _ = try await tx.moveTag(repositoryID: repository.id, name: name, manifestID: manifest.id, reversion: true,
                                     pusherID: performer.account?.id)
            try await tx.emit(.revertTag, by: performer, repository: repository, details: [
                "username": performer.account?.username, "repo": repository.name, "namespace": repository.namespaceName, "tag": name,
                "manifest_digest": digest, "original_manifest_digest": current?.manifestDigest,
            ])
        }
    }

    /// The log metadata of a change to tag `name`.
    static func details(_ repository: RepositoryRecord, tag name: String, digest: String?, by performer: Performer) -> [String: String?] {
        ["username": performer.account?.username ?? performer.name, "repo": repository.name, "namespace": repository.namespaceName,
         "tag": name, "manifest_digest": digest]
    }

    /// Tag changes need a repository in the `NORMAL` state.
    static func requireWritable(_ repository: RepositoryRecord) throws {
        guard repository.state == .normal else {
            throw DomainError.unavailable("Repository is in read only or mirror mode: \(RepositoryService.name(of: repository.state))")
        }
    }

    /// Quay's tag name rule.
    static func validate(_ name: String) throws {
        guard Reference.isValidTag(name) else { throw DomainError.invalidRequest("Invalid tag name") }
    }

    /// How log metadata shows an instant (Quay logs Python datetimes; Wharf uses ISO 8601).
    static func logDate(_ ms: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
