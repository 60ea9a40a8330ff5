import Hummingbird
import WharfDomain
import WharfHTTP
import WharfMetadata
import WharfOCI

/// A caller's standing on one repository, which may not exist yet.
struct RepositoryStanding: Sendable {
    let name: RepositoryName
    /// The access policy's grant on the repository; nil when it does not exist (yet).
    let grant: RepositoryGrant?
    let actions: Set<RepositoryAction>
    /// The namespace account when the caller may create the repository on push.
    let creatableIn: AccountRecord?

    var repository: RepositoryRecord? { grant?.repository }
}

/// Resolves `/v2` callers and asks the access policy what they may do, then answers a refusal as the
/// specification wants (401 with a challenge; `insufficient_scope` for a token that lacks the action).
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
    var policy: AccessPolicy { domain.policy }

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
    func standing(_ caller: RegistryCaller, on rawName: String) async throws -> RepositoryStanding {
        let name = try Self.parse(rawName)
        let repository = try await store.repository(namespace: name.namespace, name: name.repository)
        return try await standing(caller, on: name, repository: repository)
    }

    /// A repository name from a request, or `NAME_INVALID`.
    static func parse(_ rawName: String) throws -> RepositoryName {
        guard let name = RepositoryName(rawName) else { throw RegistryError.nameInvalid(rawName) }
        return name
    }

    /// What `caller` may do with the repository `name`, already looked up (nil when it does not exist):
    /// a token's actions or the caller's grant, both from the access policy.
    func standing(_ caller: RegistryCaller, on name: RepositoryName, repository: RepositoryRecord?) async throws -> RepositoryStanding {
        if let repository {
            let grant = if let claims = caller.claims {
                policy.grant(toTokenActions: claims.actions(onRepository: name.description), on: repository)
            } else {
                try await policy.grant(to: caller.identity, on: repository)
            }
            return RepositoryStanding(name: name, grant: grant, actions: grant.actions, creatableIn: nil)
        }
        if let claims = caller.claims {
            // The token was granted by someone who may create the repository: it learns that it does not exist.
            return RepositoryStanding(name: name, grant: nil, actions: RepositoryAction.expand(claims.actions(onRepository: name.description)),
                                      creatableIn: nil)
        }
        if caller.identity.account != nil, let namespace = try await store.account(named: name.namespace),
           try await policy.mayCreateRepository(caller.identity, in: namespace) {
            return RepositoryStanding(name: name, grant: nil, actions: AccessPolicy.creatorActions, creatableIn: namespace)
        }
        return RepositoryStanding(name: name, grant: nil, actions: [], creatableIn: nil)
    }

    /// The grant on the repository where the caller may perform `action`; nil when the repository does not
    /// exist and the caller may learn so (it could create it: each endpoint answers its own 404). A first
    /// push creates it. Callers without the right get 401 with a challenge, whether or not the repository
    /// exists; a valid token that lacks the action gets 401 `insufficient_scope` with a challenge for the
    /// scope needed.
    func requireGrant(_ action: RepositoryAction, caller: RegistryCaller, name rawName: String) async throws -> RepositoryGrant? {
        try await requireGrant(action, caller: caller, standing: try await standing(caller, on: rawName))
    }

    /// `requireGrant` for a standing already resolved.
    func requireGrant(_ action: RepositoryAction, caller: RegistryCaller, standing: RepositoryStanding) async throws -> RepositoryGrant? {
        let rawName = standing.name.description
        guard standing.actions.contains(action) else {
            if let token = caller.token {
                let repeated = refusals.refusedBefore(token: token, name: rawName, action: action.rawValue)
                throw RegistryError.insufficientScope(name: rawName, action: action.rawValue, repeated: repeated)
            }
            throw RegistryError(.unauthorized, status: 401, "access to the requested resource is not authorized",
                                detail: ["name": rawName, "action": action.rawValue])
        }
        if let grant = standing.grant { return grant }
        if action == .push, let repository = try await createOnPush(standing, caller: caller) {
            return try await policy.grant(to: caller.identity, on: repository)
        }
        return nil
    }

    /// `requireGrant`, for the repository.
    func require(_ action: RepositoryAction, caller: RegistryCaller, name rawName: String) async throws -> RepositoryRecord? {
        try await requireGrant(action, caller: caller, name: rawName)?.repository
    }

    /// `requireGrant` for a standing already resolved, for the repository.
    func require(_ action: RepositoryAction, caller: RegistryCaller, standing: RepositoryStanding) async throws -> RepositoryRecord? {
        try await requireGrant(action, caller: caller, standing: standing)?.repository
    }

    /// `require` where the endpoint needs the repository to exist: `NAME_UNKNOWN` otherwise.
    func requireExisting(_ action: RepositoryAction, caller: RegistryCaller, name rawName: String) async throws -> RepositoryRecord {
        guard let repository = try await require(action, caller: caller, name: rawName) else { throw RegistryError.nameUnknown(rawName) }
        return repository
    }

    /// The token endpoint's rule: of the `requested` actions on `rawName`, those the access policy grants
    /// the caller. A push into a repository the caller may create creates it now (private, as Quay does);
    /// on a repository that does not exist, only a caller who may create it is granted anything.
    func grant(_ requested: [String], caller: RegistryCaller, name rawName: String) async throws -> [String] {
        let standing = try await standing(caller, on: rawName)
        let granted = requested.filter { name in RepositoryAction(rawValue: name).map(standing.actions.contains) ?? false }
        guard standing.repository == nil else { return granted }
        if granted.contains(RepositoryAction.push.rawValue) { _ = try await createOnPush(standing, caller: caller) }
        return standing.creatableIn == nil ? [] : granted
    }

    /// Creates the repository of a first push when the caller may create it there; nil otherwise.
    private func createOnPush(_ standing: RepositoryStanding, caller: RegistryCaller) async throws -> RepositoryRecord? {
        guard let namespace = standing.creatableIn else { return nil }
        return try await domain.repositories.createForPush(standing.name.repository, in: namespace, by: caller.performer)
    }
}
