import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Caps the open connections (`HTTP_MAX_CONNECTIONS`): past the cap the server stops accepting, and new
/// connections wait in the listen queue until one closes. The cap stays below the process's file
/// descriptor limit, so accepting never fails for want of descriptors. Reaching the cap, and leaving it,
/// are logged once each.
struct ConnectionLimit: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    private var open = 0
    private var saturated = false

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if open >= maximum, !saturated {
            saturated = true
            logger.warning("connection limit reached; new connections wait until one closes", metadata: ["open": "\(open)"])
        }
    }

    mutating func connectionClosed() {
        open -= 1
        if saturated, open < maximum {
            saturated = false
            logger.notice("accepting connections again", metadata: ["open": "\(open)"])
        }
    }

    func isAcceptingNewConnections() -> Bool { open < maximum }
}

/// The server's open connections, so that a shutdown that has waited long enough can close them.
final class OpenConnections: Sendable {
    private let channels = NIOLockedValueBox([ObjectIdentifier: any Channel]())

    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLockedValue { $0[key] = channel }
        channel.closeFuture.whenComplete { [channels] _ in
            channels.withLockedValue { _ = $0.removeValue(forKey: key) }
        }
    }

    var count: Int { channels.withLockedValue { $0.count } }

    /// Closes every open connection; how many there were.
    @discardableResult
    func closeAll() -> Int {
        let open = channels.withLockedValue { Array($0.values) }
        for channel in open { channel.close(promise: nil) }
        return open.count
    }
}

/// Hummingbird's HTTP/1 channel with Wharf's guards: the connection timeouts (a `ConnectionTimeoutHandler`
/// first in each pipeline, a `RequestPhaseHandler` after the decoder) and the registry of open
/// connections.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    private let inner: HTTP1Channel
    private let timeouts: HTTPTimeouts
    private let connections: OpenConnections
    private let logger: Logger

    init(responder: @escaping HTTPChannelHandler.Responder, timeouts: HTTPTimeouts, connections: OpenConnections, logger: Logger) {
        inner = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [RequestPhaseHandler()]))
        self.timeouts = timeouts
        self.connections = connections
        self.logger = logger
    }

    var responder: HTTPChannelHandler.Responder { inner.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        connections.add(channel)
        let handler = ConnectionTimeoutHandler(timeouts: timeouts, logger: self.logger)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with Wharf's connection guards.
    static func guardedHTTP1(timeouts: HTTPTimeouts, connections: OpenConnections, logger: Logger) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(responder: responder, timeouts: timeouts, connections: connections, logger: logger)
        }
    }
}
