import Foundation
import JWTKit

/// One `access` entry of a registry token: what may be done with one resource.
public struct RegistryAccess: Codable, Sendable, Equatable {
    public var type: String
    public var name: String
    public var actions: [String]

    public init(type: String, name: String, actions: [String]) {
        self.type = type
        self.name = name
        self.actions = actions
    }
}

/// The `context` claim Quay puts in registry tokens.
public struct RegistryTokenContext: Codable, Sendable, Equatable {
    public var version: Int
    public var entityKind: String
    public var entityReference: String?
    public var kind: String
    public var user: String?
    /// The OAuth scopes of the credential the token was issued for (space-separated), when it was scoped.
    public var scopes: String?

    enum CodingKeys: String, CodingKey {
        case version, kind, user, scopes
        case entityKind = "entity_kind"
        case entityReference = "entity_reference"
    }
}

/// The claims of a registry bearer token (`/v2/auth`).
public struct RegistryClaims: JWTPayload, Equatable {
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    public var sub: SubjectClaim
    public var iat: IssuedAtClaim
    public var nbf: NotBeforeClaim
    public var exp: ExpirationClaim
    public var access: [RegistryAccess]
    public var context: RegistryTokenContext

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired(currentDate: Date().addingTimeInterval(-30))
        try nbf.verifyNotBefore(currentDate: Date().addingTimeInterval(30))
    }

    /// The actions granted on repository `name`.
    public func actions(onRepository name: String) -> Set<String> {
        Set(access.filter { $0.type == "repository" && $0.name == name }.flatMap(\.actions))
    }
}
