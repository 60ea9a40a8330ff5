import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers

/// The context of one API call: what every API knows of the request it answers besides the request itself: an id (the client's
/// `X-Request-ID` when it is a plain token, else a new one, echoed in the response), the peer's address,
/// a logger whose lines carry the id, and the caller once the API has identified it, for the access log.
public final class CallContext: Sendable {
    public let requestID: String
    public let remoteIP: String?
    public let logger: Logger
    let started = ContinuousClock.now
    private let caller = NIOLockedValueBox<String?>(nil)

    public init(request: Request, remoteIP: String?, logger base: Logger) {
        requestID = request.headers[.requestID].flatMap(Self.acceptedID) ?? Self.newID()
        self.remoteIP = remoteIP
        var logger = base
        logger[metadataKey: "request_id"] = "\(requestID)"
        self.logger = logger
    }

    /// A new random (version 4) UUID, lowercased; drawn from the system generator, which Foundation's
    /// `UUID()` reaches on Linux by opening `/dev/urandom` for every id.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        let uuid = withUnsafeMutableBytes(of: &bytes) { raw -> uuid_t in
            raw[6] = (raw[6] & 0x0F) | 0x40
            raw[8] = (raw[8] & 0x3F) | 0x80
            return raw.load(as: uuid_t.self)
        }
        return UUID(uuid: uuid).uuidString.lowercased()
    }

    /// A client's request id, when it is 1 to 128 letters, digits, `-`, `_` or `.`.
    static func acceptedID(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x2E || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { return nil }
        return value
    }

    /// Records who the caller is (a user or robot name), for the access log.
    public func identify(_ name: String?) {
        caller.withLockedValue { $0 = name }
    }

    /// The caller's name, once an API has identified it.
    public var callerName: String? { caller.withLockedValue { $0 } }

    /// Milliseconds since the request arrived.
    var elapsedMs: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

extension HTTPField.Name {
    public static let requestID = Self("X-Request-ID")!
}
