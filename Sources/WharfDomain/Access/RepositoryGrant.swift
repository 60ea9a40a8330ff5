import WharfMetadata

/// What a registry request, or a registry token's scope, does to a repository.
public enum RepositoryAction: String, Sendable {
    case pull
    case push
    case delete
    case all = "*"

    /// The actions a repository role permits, given the repository's state.
    static func permitted(by role: RepositoryRole?, state: RepositoryState) -> Set<RepositoryAction> {
        guard let role else { return [] }
        var actions: Set<RepositoryAction> = [.pull]
        if state == .normal {
            if role >= .write { actions.formUnion([.push, .delete]) }
            if role == .admin { actions.insert(.all) }
        }
        return actions
    }

    /// Actions implied by a token's action list (`*` includes everything; `push` includes `delete`
    /// unless `pushDeletes` is false).
    public static func expand(_ names: some Sequence<String>, pushDeletes: Bool = true) -> Set<RepositoryAction> {
        var actions = Set<RepositoryAction>()
        for name in names {
            switch name {
            case "pull": actions.insert(.pull)
            case "push": actions.formUnion(pushDeletes ? [.push, .delete] : [.push])
            case "delete": actions.insert(.delete)
            case "*": actions.formUnion([.pull, .push, .delete, .all])
            default: break
            }
        }
        return actions
    }
}

/// The access policy's answer for one caller and one repository (`AccessPolicy.grant`), decided once
/// per request and handed to the domain's services, which check it instead of deciding again. Only the
/// policy makes one.
public struct RepositoryGrant: Sendable {
    public let repository: RepositoryRecord
    /// The caller's role after its credential's scopes; nil for none, and for a registry token's holder
    /// (whose token names the actions).
    public let role: RepositoryRole?
    public let actions: Set<RepositoryAction>
    /// Whether the delete switches let the caller delete here (tags, manifests, the repository itself).
    public let deletionAllowed: Bool

    init(repository: RepositoryRecord, role: RepositoryRole?, actions: Set<RepositoryAction>, deletionAllowed: Bool) {
        self.repository = repository
        self.role = role
        self.actions = actions
        self.deletionAllowed = deletionAllowed
    }

    public func allows(_ action: RepositoryAction) -> Bool { actions.contains(action) }

    /// Whether the caller holds at least `role` (Quay's repository checks).
    public func holds(_ role: RepositoryRole) -> Bool { self.role.map { $0 >= role } ?? false }

    /// Refuses (`forbidden`) unless the grant allows `action`.
    func require(_ action: RepositoryAction) throws {
        guard allows(action) else { throw DomainError.forbidden }
    }
}
