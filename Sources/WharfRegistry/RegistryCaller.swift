import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata
import WharfOCI

/// Who is calling `/v2`, with the registry token they presented, if any.
struct RegistryCaller: Sendable {
    /// The caller for Basic credentials and anonymous calls; for a bearer token, the token's claims
    /// decide instead (its account is looked up only where needed, see `account(in:)`).
    let identity: Identity
    /// Claims of a verified bearer token; nil for Basic credentials and anonymous callers.
    let claims: RegistryClaims?
    /// The bearer token itself, when there is one.
    var token: String? = nil
    /// The peer's address, for the audit log.
    var ip: String? = nil

    /// The caller as the domain's events record it (a token's holder by name).
    var performer: Performer { Performer(identity: identity, ip: ip, name: claims?.context.user) }
}

extension RegistryCaller {
    /// The caller's account: from Basic credentials, or the user a bearer token was issued to (looked up
    /// by name); nil for anonymous callers.
    func account(in store: MetadataStore) async throws -> AccountRecord? {
        if let account = identity.account { return account }
        guard let user = claims?.context.user else { return nil }
        return try await store.account(named: user)
    }

    /// The account whose repositories the caller may list: from Basic credentials or the user a bearer
    /// token was issued to; nil for anonymous callers and for credentials whose scopes allow no reads.
    func catalogAccount(in store: MetadataStore) async throws -> AccountRecord? {
        guard let claims else { return identity.repositoryRoleCap == nil ? nil : identity.account }
        guard let user = claims.context.user else { return nil }
        if let scopes = claims.context.scopes {
            let scoped = Identity(kind: .oauthToken, account: nil, scopes: Scope.parseList(scopes), isSuperuser: false)
            if scoped.repositoryRoleCap == nil { return nil }
        }
        return try await store.account(named: user)
    }
}

/// A caller's standing on one repository.
struct RepositoryAccess: Sendable {
    let name: RepositoryName
    /// The repository, or nil when it does not exist (yet).
    let repository: RepositoryRecord?
    let actions: Set<RegistryAction>
    /// The namespace account when the caller may create the repository on push.
    let creatableIn: AccountRecord?
}

/// Resolves callers and their access, shared by all `/v2` routes.
struct RegistryAuthorizer: Sendable {
    let domain: Domain
    let tokens: RegistryTokenService
    /// Tokens recently refused for lacking a scope.
    let refusals = ScopeRefusals()

    init(domain: Domain, tokens: RegistryTokenService) {
        self.domain = domain
        self.tokens = tokens
    }

    var store: MetadataStore { domain.store }
    var authenticator: Authenticator { domain.authenticator }
    var permissions: PermissionResolver { domain.permissions }
    var deletion: DeletionPolicy { domain.deletion }

    /// Identifies the caller from the `Authorization` header.
    func caller(for request: Request, ip: String?) async throws -> RegistryCaller {
        switch Credentials(request: request) {
        case .bearer(let token):
            guard let claims = try await tokens.verify(token) else {
                throw RegistryError(.unauthorized, status: 401, "invalid or expired registry token")
            }
            return RegistryCaller(identity: .anonymous, claims: claims, token: token, ip: ip)
        case .basic(let username, let password):
            guard let identity = try await authenticator.authenticate(username: username, password: password) else {
                throw RegistryError(.unauthorized, status: 401, "Invalid Username or Password")
            }
            return RegistryCaller(identity: identity, claims: nil, ip: ip)
        case nil:
            if request.headers[.authorization] != nil {
                throw RegistryError(.unauthorized, status: 401, "unsupported Authorization header")
            }
            return RegistryCaller(identity: .anonymous, claims: nil, ip: ip)
        }
    }

    /// What `caller` may do with repository `rawName`.
    func access(_ caller: RegistryCaller, to rawName: String) async throws -> RepositoryAccess {
        let name = try Self.parse(rawName)
        let repository = try await store.repository(namespace: name.namespace, name: name.repository)
        return try await access(caller, to: name, repository: repository)
    }

    /// A repository name from a request, or `NAME_INVALID`.
    static func parse(_ rawName: String) throws -> RepositoryName {
        guard let name = RepositoryName(rawName) else { throw RegistryError.nameInvalid(rawName) }
        return name
    }

    /// What `caller` may do with the repository `name`, already looked up (nil when it does not exist).
    func access(_ caller: RegistryCaller, to name: RepositoryName, repository: RepositoryRecord?) async throws -> RepositoryAccess {
        let rawName = name.description
        if let claims = caller.claims {
            let owned = repository?.namespaceOwnerTeamId != nil
            var actions = RegistryAction.expand(claims.actions(onRepository: rawName), pushDeletes: !owned)
            if let repository, repository.state != .normal { actions.subtract([.push, .delete, .all]) }
            return RepositoryAccess(name: name, repository: repository, actions: actions, creatableIn: nil)
        }
        if let repository {
            let role = try await permissions.role(of: caller.identity, on: repository)
            var actions = RegistryAction.granted(by: role, state: repository.state)
            if !deletion.allowsDeletion(in: repository, by: role) { actions.remove(.delete) }
            return RepositoryAccess(name: name, repository: repository, actions: actions, creatableIn: nil)
        }
        if caller.identity.account != nil, let namespace = try await store.account(named: name.namespace),
           try await permissions.mayCreateRepository(caller.identity, in: namespace) {
            return RepositoryAccess(name: name, repository: nil, actions: [.pull, .push, .delete, .all], creatableIn: namespace)
        }
        return RepositoryAccess(name: name, repository: nil, actions: [], creatableIn: nil)
    }

    /// The repository the caller may perform `action` on; nil when it does not exist and the caller may
    /// learn so (it could create it: each endpoint answers its own 404). A first push creates it.
    /// Callers without the right get 401 with a challenge, whether or not the repository exists; a valid
    /// token that lacks the action gets 401 `insufficient_scope` with a challenge for the scope needed.
    func require(_ action: RegistryAction, caller: RegistryCaller, name rawName: String) async throws -> RepositoryRecord? {
        try await require(action, caller: caller, access: try await access(caller, to: rawName))
    }

    /// `require` for an access already resolved.
    func require(_ action: RegistryAction, caller: RegistryCaller, access: RepositoryAccess) async throws -> RepositoryRecord? {
        let rawName = access.name.description
        guard access.actions.contains(action) else {
            if let token = caller.token {
                let repeated = refusals.refusedBefore(token: token, name: rawName, action: action.rawValue)
                throw RegistryError.insufficientScope(name: rawName, action: action.rawValue, repeated: repeated)
            }
            throw RegistryError(.unauthorized, status: 401, "access to the requested resource is not authorized",
                                detail: ["name": rawName, "action": action.rawValue])
        }
        if let repository = access.repository { return repository }
        if action == .push, let repository = try await createOnPush(access, caller: caller) { return repository }
        return nil
    }

    /// `require` where the endpoint needs the repository to exist: `NAME_UNKNOWN` otherwise.
    func requireExisting(_ action: RegistryAction, caller: RegistryCaller, name rawName: String) async throws -> RepositoryRecord {
        guard let repository = try await require(action, caller: caller, name: rawName) else { throw RegistryError.nameUnknown(rawName) }
        return repository
    }

    /// The token endpoint's rule: of the `requested` actions on `rawName`, those the caller may perform.
    /// A push into a repository the caller may create creates it now (private, as Quay does); on a
    /// repository that does not exist, only a caller who may create it is granted anything.
    func grant(_ requested: [String], caller: RegistryCaller, name rawName: String) async throws -> [String] {
        let access = try await access(caller, to: rawName)
        let granted = requested.filter { name in RegistryAction(rawValue: name).map(access.actions.contains) ?? false }
        guard access.repository == nil else { return granted }
        if granted.contains(RegistryAction.push.rawValue) { _ = try await createOnPush(access, caller: caller) }
        return access.creatableIn == nil ? [] : granted
    }

    /// Creates the repository of a first push when the caller may create it there; nil otherwise.
    private func createOnPush(_ access: RepositoryAccess, caller: RegistryCaller) async throws -> RepositoryRecord? {
        guard let namespace = access.creatableIn else { return nil }
        return try await domain.repositories.createForPush(access.name.repository, in: namespace, by: caller.performer)
    }
}
