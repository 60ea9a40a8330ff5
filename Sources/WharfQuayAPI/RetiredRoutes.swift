import Foundation
import Hummingbird
import WharfDomain
import WharfMetadata

/// Endpoints of the older Quay API guides that current Quay has retired, answered as current Quay does:
/// repository tokens answer 410 after the admin check and body validation, and `/plans/` (billing) is
/// not found. The image, signature and tag-image endpoints are not routes at all: like Quay, their paths
/// fall to the repository endpoint. `changetrust` answers 501 where Quay, with signing off, fails with a 500.
struct RetiredRoutes {
    let services: QuayServices
    var access: RepositoryGate { RepositoryGate(services: services) }

    var routes: [QuayRoute] {
        let tokens = "/api/v1/repository/{repository}/tokens/"
        return [
            QuayRoute(.get, tokens, operationID: "listRepoTokens", summary: "List the tokens for the specified repository (retired).",
                      scope: .repoAdmin, availability: .retired, handler: retired()),
            QuayRoute(.post, tokens, operationID: "createToken", summary: "Create a new repository token (retired).", scope: .repoAdmin,
                      availability: .retired, handler: retired(message: "Creation of access tokens is no longer supported",
                                                                    validate: { _ = try await QuayJSON.decode($0, as: NewTokenBody.self) })),
            QuayRoute(.get, tokens + "{code}", operationID: "getTokens", summary: "Fetch the specified repository token (retired).",
                      scope: .repoAdmin, availability: .retired, handler: retired()),
            QuayRoute(.put, tokens + "{code}", operationID: "changeToken", summary: "Update the permissions for the specified repository token (retired).",
                      scope: .repoAdmin, availability: .retired, handler: retired(validate: { _ = try await QuayJSON.decode($0, as: TokenRoleBody.self) })),
            QuayRoute(.delete, tokens + "{code}", operationID: "deleteToken", summary: "Delete the repository token (retired).",
                      scope: .repoAdmin, availability: .retired, handler: retired()),
            QuayRoute(.get, "/api/v1/plans/", operationID: "listPlans", summary: "List the available plans (billing is not part of Wharf).",
                      availability: .retired, handler: { _ in throw QuayAPIError.notFound }),
            QuayRoute(.post, "/api/v1/repository/{repository}/changetrust", operationID: "changeRepoTrust",
                      summary: "Change the content trust of a repository (Docker Content Trust is not supported).", scope: .repoAdmin,
                      availability: .retired, handler: { _ in throw QuayAPIError.message(501, "Content trust (FEATURE_SIGNING) is not supported") }),
        ]
    }

    struct NewTokenBody: Decodable { let friendlyName: String }

    struct TokenRoleBody: Decodable {
        let role: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            guard RepositoryRole(rawValue: role) != nil else {
                throw DecodingError.dataCorruptedError(forKey: .role, in: container, debugDescription: "'\(role)' is not one of ['read', 'write', 'admin']")
            }
        }

        enum CodingKeys: String, CodingKey { case role }
    }

    /// A retired repository-token endpoint: repository administrators (the only ones Quay lets this far)
    /// get a 410 once `validate` accepts the body.
    func retired(message: String = "Handling of access tokens is no longer supported",
                 validate: (@Sendable (Request) async throws -> Void)? = nil) -> QuayRoute.Handler {
        { call in
            _ = try await access.require(.admin, call)
            try await validate?(call.request)
            return QuayJSON.response(.gone, ["message": message])
        }
    }
}
