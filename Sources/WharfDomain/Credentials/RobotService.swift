import Foundation
import WharfMetadata

/// A robot with its token revealed (for its owner's administrators).
public struct RevealedRobot: Sendable {
    public let record: RobotRecord
    public let token: String?
}

/// Robot accounts of users and organizations: named `owner+short`, logging in with a 64-character
/// token that is stored hashed (to check) and sealed (to show again to the owner's administrators).
public struct RobotService: Sendable {
    let store: MetadataStore
    let sealer: SecretSealer
    let authenticator: Authenticator

    public static let tokenLength = 64

    public init(store: MetadataStore, sealer: SecretSealer, authenticator: Authenticator) {
        self.store = store
        self.sealer = sealer
        self.authenticator = authenticator
    }

    /// Creates the robot `owner+shortname`.
    public func create(owner: AccountRecord, shortname: String, description: String, unstructuredJSON: String,
                       by performer: Performer) async throws -> RevealedRobot {
        do { try AccountRules.validateUsername(shortname) } catch {
            throw DomainError.invalidRequest("Invalid robot account name: \(shortname)")
        }
        guard description.count <= 255 else { throw DomainError.invalidRequest("Robot description must be at most 255 characters") }
        guard unstructuredJSON.utf8.count <= 1 << 20 else { throw DomainError.invalidRequest("Robot metadata must be at most 1 MiB") }
        let fullName = owner.username + "+" + shortname
        let token = Self.newToken()
        let sealed = try sealer.seal(token)
        do {
            let robot = try await store.transaction { tx in
                let robot = try await tx.createRobot(ownerID: owner.id, fullName: fullName, description: description, unstructuredJSON: unstructuredJSON,
                                                     tokenHash: Secrets.sha256Hex(token), tokenSealed: sealed)
                try await tx.emit(.createRobot, namespace: owner, by: performer,
                                  details: ["robot": fullName, "description": description, "unstructured_metadata": unstructuredJSON])
                return robot
            }
            return RevealedRobot(record: robot, token: token)
        } catch MetadataError.conflict {
            throw DomainError.rejected("Existing robot with name: \(fullName)")
        }
    }

    /// The robot `owner+shortname`; Quay answers 400 for a missing robot.
    public func robot(owner: AccountRecord, shortname: String) async throws -> RobotRecord {
        guard let robot = try await store.robot(named: owner.username + "+" + shortname), robot.ownerId == owner.id else {
            throw DomainError.rejected("Could not find robot with specified username")
        }
        return robot
    }

    /// The robot's token in plain text.
    public func token(of robot: RobotRecord) -> String? { sealer.open(robot.tokenSealed) }

    /// Deletes a robot with its permissions and team memberships.
    public func delete(_ robot: RobotRecord, owner: AccountRecord, by performer: Performer) async throws {
        try await store.transaction { tx in
            try await tx.deleteAccount(id: robot.accountId)
            try await tx.emit(.deleteRobot, namespace: owner, by: performer, details: ["robot": robot.name])
        }
        authenticator.forgetCachedCredentials()
    }

    /// Replaces the robot's token; the old one stops working.
    public func regenerate(_ robot: RobotRecord, owner: AccountRecord, by performer: Performer) async throws -> RevealedRobot {
        let token = Self.newToken()
        let sealed = try sealer.seal(token)
        let updated = try await store.transaction { tx in
            try await tx.replaceRobotToken(accountID: robot.accountId, tokenHash: Secrets.sha256Hex(token), tokenSealed: sealed)
            try await tx.emit(.regenerateRobotToken, namespace: owner, by: performer, details: ["robot": robot.name])
            return try await tx.robot(named: robot.name) ?? robot
        }
        authenticator.forgetCachedCredentials()
        return RevealedRobot(record: updated, token: token)
    }

    /// 64 characters of `[A-Z0-9]`, as Quay's robot tokens.
    static func newToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<tokenLength).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }, as: UTF8.self)
    }
}
