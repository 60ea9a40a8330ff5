import Foundation
import WharfMetadata

/// Audit-log entries as Quay shows them, in the log pages and in exported documents.
public enum LogViews {
    /// An entry: kind, metadata, address and time; the performer when known; the namespace on the
    /// all-registry log.
    public static func entry(_ log: LogEntryView, includeNamespace: Bool) -> [String: Any] {
        let metadata = (try? JSONSerialization.jsonObject(with: Data(log.entry.metadataJson.utf8))) ?? [String: Any]()
        var view: [String: Any] = ["kind": log.entry.kind, "metadata": metadata, "ip": log.entry.ip.orNull,
                                   "datetime": QuayViews.date(ms: log.entry.datetimeMs)]
        if let name = log.performerName {
            let robot = log.performerIsRobot ?? false
            view["performer"] = ["kind": "user", "name": name, "is_robot": robot,
                                 "avatar": QuayViews.avatar(name: name, email: log.performerEmail, kind: robot ? "robot" : "user")]
        }
        if includeNamespace, let name = log.namespaceName {
            let kind = log.namespaceIsOrganization == true ? "org" : "user"
            view["namespace"] = ["kind": kind, "name": name, "avatar": QuayViews.avatar(name: name, email: log.namespaceEmail, kind: kind)]
        }
        return view
    }

    /// A time as the log views write it (RFC 2822).
    public static func date(ms: Int64) -> String {
        QuayViews.date(ms: ms) as? String ?? ""
    }
}
