import Foundation
import HTTPTypes
import HummingbirdTesting
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// Endpoints of the older guide that current Quay has retired, and the security endpoint without a
/// scanner: each answers as current Quay does (see README, "Retired endpoints").
final class QuayRetiredEndpointTests: XCTestCase {
    func testRetiredEndpointsAnswerAsCurrentQuay() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let bobAPI = try await server.quay(client, as: bob)
                let anonymous = QuayClient(client: client, token: nil)
                let digest = Digest.of(try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/app", tag: "v1")).description
                let repo = "/api/v1/repository/alice/app"

                // Repository tokens: admin check, then body validation, then 410.
                let list = try await api.get("\(repo)/tokens/")
                list.assertMessage(410)
                XCTAssertEqual(list.json["message"] as? String, "Handling of access tokens is no longer supported")
                let create = try await api.post("\(repo)/tokens/", ["friendlyName": "ci"])
                XCTAssertEqual(create.json["message"] as? String, "Creation of access tokens is no longer supported")
                create.assertMessage(410)
                try await api.post("\(repo)/tokens/", [String: Any]()).assertAPIError(400, "invalid_request")
                try await api.get("\(repo)/tokens/abc").assertMessage(410)
                try await api.put("\(repo)/tokens/abc", ["role": "write"]).assertMessage(410)
                try await api.put("\(repo)/tokens/abc", ["role": "owner"]).assertAPIError(400, "invalid_request")
                try await api.delete("\(repo)/tokens/abc").assertMessage(410)
                try await bobAPI.get("\(repo)/tokens/").assertAPIError(403, "insufficient_scope")
                try await anonymous.get("\(repo)/tokens/").assertAPIError(401, "invalid_token")

                // Removed routes fall to the repository endpoint: not found for the namespace's owner, refused for others.
                for path in ["image", "image/abc", "image/abc/security", "signatures", "tag/v1/images"] {
                    try await api.get("\(repo)/\(path)").assertAPIError(404, "not_found")
                    try await bobAPI.get("\(repo)/\(path)").assertAPIError(403, "insufficient_scope")
                    try await anonymous.get("\(repo)/\(path)").assertAPIError(401, "invalid_token")
                }
                try await api.get("/api/v1/plans/").assertAPIError(404, "not_found")
                try await api.post("\(repo)/changetrust", ["trust_enabled": true]).assertMessage(501)

                // Without a scanner the security endpoint is not found for readers, refused for others.
                try await api.get("\(repo)/manifest/\(digest)/security").assertAPIError(404, "not_found")
                try await bobAPI.get("\(repo)/manifest/\(digest)/security").assertAPIError(403, "insufficient_scope")
                try await anonymous.get("\(repo)/manifest/\(digest)/security").assertAPIError(401, "invalid_token")
            }
        }
    }
}
