import Hummingbird
import NIOCore

/// The request context of Wharf's server: Hummingbird's core context plus the peer's address, which
/// the audit log records.
public struct WharfRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address as text.
    public var remoteIP: String? { remoteAddress?.ipAddress }
}

extension Request {
    /// The value of cookie `name` in the `Cookie` header.
    public func cookie(_ name: String) -> String? {
        guard let header = headers[.cookie] else { return nil }
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
