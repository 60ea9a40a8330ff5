import Foundation
import WharfDomain
import WharfMetadata

/// Quay's answers to the access policy for organization endpoints: permission first, so a caller without the right is refused
/// (401 anonymous, 403 otherwise) whether or not the organization exists; only superusers with
/// `FEATURE_SUPERUSERS_FULL_ACCESS` (Quay's `allow_if_superuser`) learn that it does not (404).
struct OrganizationGate {
    let services: QuayServices

    /// The organization `orgname`, when the caller administers it.
    func requireAdmin(_ name: String, _ caller: APICaller) async throws -> AccountRecord {
        let organization = try await lookUp(name, caller)
        guard try await services.policy.administers(caller.identity, organization: organization) else { throw caller.refusal }
        return organization
    }

    /// The organization `orgname`, when the caller is in one of its teams.
    func requireMember(_ name: String, _ caller: APICaller) async throws -> AccountRecord {
        let organization = try await lookUp(name, caller)
        guard try await services.policy.isMember(caller.identity, of: organization) else { throw caller.refusal }
        return organization
    }

    private func lookUp(_ name: String, _ caller: APICaller) async throws -> AccountRecord {
        guard let organization = try await services.store.account(named: name), organization.isOrganization else {
            throw services.policy.bypassesChecks(caller.identity) ? QuayAPIError.notFound : caller.refusal
        }
        return organization
    }
}
