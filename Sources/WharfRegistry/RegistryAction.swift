import WharfMetadata

/// What a registry request does to a repository, in token-scope terms.
enum RegistryAction: String, Sendable {
    case pull
    case push
    case delete
    case all = "*"

    /// The actions a repository role permits, given the repository's state.
    static func granted(by role: RepositoryRole?, state: RepositoryState) -> Set<RegistryAction> {
        guard let role else { return [] }
        var actions: Set<RegistryAction> = [.pull]
        if state == .normal {
            if role >= .write { actions.formUnion([.push, .delete]) }
            if role == .admin { actions.insert(.all) }
        }
        return actions
    }

    /// Actions implied by a token's action list (`*` includes everything; `push` includes `delete`, as in
    /// Quay, unless `pushDeletes` is false: in a namespace with an owning team, Portus's, a deletion needs
    /// `delete` or `*` in the token).
    static func expand(_ names: some Sequence<String>, pushDeletes: Bool = true) -> Set<RegistryAction> {
        var actions = Set<RegistryAction>()
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
