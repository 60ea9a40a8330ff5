import Foundation
import WharfMetadata
import WharfOCI

/// Tags as the APIs manage them, with Quay's time machine: history, expiration, moving, deleting and
/// restoring. Each change is logged with Quay's kind.
public struct TagService: Sendable {
    let store: MetadataStore
    let audit: AuditLog
    let deletion: DeletionPolicy

    /// The shortest and longest expiration Quay lets a tag be given, counted from when it was pushed
    /// (`LABELED_EXPIRATION_MINIMUM` 1h, `LABELED_EXPIRATION_MAXIMUM` 104w).
    public static let expirationBounds: ClosedRange<Int64> = 3_600...(104 * 604_800)
    /// The latest date an expiration may name (the end of the year 9999, Python's limit in Quay); later
    /// ones, like numbers too large for a date, are refused.
    static let latestDate: Double = 253_402_300_799

    public init(store: MetadataStore, audit: AuditLog, deletion: DeletionPolicy) {
        self.store = store
        self.audit = audit
        self.deletion = deletion
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
        guard try await store.setTagEnd(tag, to: endMs) else {
            throw DomainError.invalidRequest("Could not update tag expiration; Tag has probably changed")
        }
        await audit.record("change_tag_expiration", namespace: nil, by: performer, repository: repository, metadata: [
            "username": performer.account?.username, "repo": repository.name, "namespace": repository.namespaceName, "tag": name,
            "expiration_date": endMs.map(Self.logDate), "old_expiration_date": tag.endMs.map(Self.logDate),
        ])
    }

    /// Points tag `name` at the manifest `digest`, which must be reachable in the repository.
    public func move(_ repository: RepositoryRecord, tag name: String, to digest: String, by performer: Performer) async throws {
        try Self.requireWritable(repository)
        try Self.validate(name)
        guard let manifest = try await store.reachableManifest(repositoryID: repository.id, digest: digest) else { throw DomainError.notFound }
        let move = try await store.moveTag(repositoryID: repository.id, name: name, manifestID: manifest.id, reversion: false,
                                            pusherID: performer.account?.id)
        let original: String?
        switch move {
        case .unchanged: return
        case .created: original = nil
        case .moved(let from): original = from
        }
        await audit.record(original == nil ? "create_tag" : "move_tag", namespace: nil, by: performer, repository: repository, metadata: [
            "username": performer.account?.username, "repo": repository.name, "namespace": repository.namespaceName, "tag": name,
            "manifest_digest": digest, "original_manifest_digest": original,
        ])
    }

    /// Ends the alive tag; it stays restorable for the namespace's time-machine window.
    public func delete(_ repository: RepositoryRecord, tag name: String, by performer: Performer) async throws {
        try Self.requireWritable(repository)
        try await deletion.requireMayDelete(in: repository, by: performer.identity)
        guard let tag = try await store.aliveTag(repositoryID: repository.id, name: name),
              try await store.deleteTag(repositoryID: repository.id, name: name) else { throw DomainError.notFound }
        await audit.record("delete_tag", namespace: nil, by: performer, repository: repository, metadata: [
            "username": performer.account?.username, "repo": repository.name, "namespace": repository.namespaceName, "tag": name,
            "manifest_digest": tag.manifestDigest,
        ])
    }

    /// Ends every alive tag pointing at the manifest `digest`, as deleting the manifest from the registry
    /// does (Portus deletes a tag so); each stays restorable. The names of the tags deleted.
    @discardableResult
    public func deleteAll(_ repository: RepositoryRecord, pointingAt digest: String, by performer: Performer) async throws -> [String] {
        try Self.requireWritable(repository)
        try await deletion.requireMayDelete(in: repository, by: performer.identity)
        let names = try await store.tagOverviews(repositoryID: repository.id).filter { $0.digest == digest }.map(\.name)
        for name in names where try await store.deleteTag(repositoryID: repository.id, name: name) {
            await audit.record("delete_tag", namespace: nil, by: performer, repository: repository, metadata: [
                "username": performer.account?.username, "repo": repository.name, "namespace": repository.namespaceName, "tag": name,
                "manifest_digest": digest,
            ])
        }
        return names
    }

    /// Points tag `name` back at the manifest `digest`, which may be dead but not past the time-machine window.
    public func restore(_ repository: RepositoryRecord, tag name: String, to digest: String, by performer: Performer) async throws {
        try Self.requireWritable(repository)
        try Self.validate(name)
        guard let manifest = try await store.restorableManifest(repositoryID: repository.id, digest: digest,
                                                                windowSeconds: repository.tagExpirationSeconds) else {
            throw DomainError.notFound
        }
        let current = try await store.aliveTag(repositoryID: repository.id, name: name)
        _ = try await store.moveTag(repositoryID: repository.id, name: name, manifestID: manifest.id, reversion: true,
                                     pusherID: performer.account?.id)
        await audit.record("revert_tag", namespace: nil, by: performer, repository: repository, metadata: [
            "username": performer.account?.username, "repo": repository.name, "namespace": repository.namespaceName, "tag": name,
            "manifest_digest": digest, "original_manifest_digest": current?.manifestDigest,
        ])
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
