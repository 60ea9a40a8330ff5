import Foundation
import SQLKit

/// The registry Wharf is, as Portus lists it: a name and an external host name kept in the database
/// (its host name and scheme come from the configuration).
public struct RegistrySettingRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let name: String
    public let externalHostname: String?
    public let createdMs: Int64
    public let updatedMs: Int64

    enum CodingKeys: String, CodingKey {
        case id, name
        case externalHostname = "external_hostname"
        case createdMs = "created_ms"
        case updatedMs = "updated_ms"
    }
}

extension MetadataStore {
    static let registrySettingColumns: SQLQueryString = "id, name, external_hostname, created_ms, updated_ms"
}

extension StoreTransaction {
    /// The registry's row, created with `defaultName` the first time it is asked for.
    public func registrySetting(defaultName: String) async throws -> RegistrySettingRecord {
        if let row = try await first("SELECT \(MetadataStore.registrySettingColumns) FROM registry_setting ORDER BY id LIMIT 1", as: RegistrySettingRecord.self) {
            return row
        }
        return try await pool.transaction { db in
            if pool.engine == .postgres { try await db.raw("LOCK TABLE registry_setting IN EXCLUSIVE MODE").run() }
            if let row = try await db.raw("SELECT \(MetadataStore.registrySettingColumns) FROM registry_setting ORDER BY id LIMIT 1")
                .first(decoding: RegistrySettingRecord.self, with: decoder) { return row }
            let now = MetadataStore.nowMs()
            return try await db.raw("""
                INSERT INTO registry_setting (name, external_hostname, created_ms, updated_ms) VALUES (\(bind: defaultName), NULL, \(bind: now), \(bind: now))
                RETURNING \(MetadataStore.registrySettingColumns)
                """).first(decoding: RegistrySettingRecord.self, with: decoder)!
        }
    }

    /// Changes the registry's name and external host name (nil leaves the name; an empty external host
    /// name removes it).
    public func changeRegistrySetting(id: Int64, name: String?, externalHostname: String?) async throws -> RegistrySettingRecord? {
        try await pool.transaction { db in
            var sets: [SQLQueryString] = ["updated_ms = \(bind: MetadataStore.nowMs())"]
            if let name { sets.append("name = \(bind: name)") }
            if let externalHostname { sets.append("external_hostname = \(bind: externalHostname.isEmpty ? nil : externalHostname)") }
            return try await db.raw("UPDATE registry_setting SET \(sets.joined(separator: ", ")) WHERE id = \(bind: id) RETURNING \(MetadataStore.registrySettingColumns)")
                .first(decoding: RegistrySettingRecord.self, with: decoder)
        }
    }
}
