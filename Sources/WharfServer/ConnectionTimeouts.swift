import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// How long a connection may stay silent in each phase (`HTTP_HEADER_TIMEOUT_SEC`,
/// `HTTP_BODY_IDLE_TIMEOUT_SEC`, `HTTP_KEEPALIVE_TIMEOUT_SEC`): a client that stops sending in the middle of
/// a request, or keeps an idle connection, is disconnected instead of holding it forever.
public struct HTTPTimeouts: Sendable {
    /// From the first byte of a request (or the connection's opening) until its head is complete.
    public var header: TimeAmount = .seconds(30)
    /// The longest pause between two parts of a request body.
    public var bodyIdle: TimeAmount = .seconds(60)
    /// How long a connection may wait, idle, for its next request.
    public var keepAlive: TimeAmount = .seconds(75)

    public init() {}
}

/// Enforces `HTTPTimeouts` on one connection. It sits first in the pipeline, so it sees raw bytes (the
/// start of a request's head), and `RequestPhaseHandler`, after the HTTP decoder, reports the decoded
/// parts to it. Responding has no deadline: a slow download is not a silent client.
final class ConnectionTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        case idle, readingHead, readingBody, responding
    }

    private let timeouts: HTTPTimeouts
    private let logger: Logger
    private var context: ChannelHandlerContext?
    /// A new connection must send a request head within the header timeout.
    private var phase = Phase.readingHead
    /// When the phase began, or when the last body part arrived.
    private var since = NIODeadline.now()
    /// Requests whose head has arrived and whose response has not ended.
    private var inFlight = 0
    private var timer: (task: Scheduled<Void>, deadline: NIODeadline)?

    init(timeouts: HTTPTimeouts, logger: Logger) {
        self.timeouts = timeouts
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        enter(.readingHead)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .idle { enter(.readingHead) }
        context.fireChannelRead(data)
    }

    func headReceived() {
        inFlight += 1
        enter(.readingBody)
    }

    func bodyReceived() {
        if phase == .readingBody { since = .now() }
    }

    func requestEnded() {
        if phase == .readingBody { enter(.responding) }
    }

    func responseEnded() {
        inFlight = max(inFlight - 1, 0)
        if inFlight == 0, phase == .responding { enter(.idle) }
    }

    private func enter(_ next: Phase) {
        phase = next
        since = .now()
        arm()
    }

    private var deadline: NIODeadline? {
        switch phase {
        case .idle: since + timeouts.keepAlive
        case .readingHead: since + timeouts.header
        case .readingBody: since + timeouts.bodyIdle
        case .responding: nil
        }
    }

    /// Schedules the check for the current deadline, unless one is already due no later.
    private func arm() {
        guard let context, let deadline else { return }
        if let timer {
            if timer.deadline <= deadline { return }
            timer.task.cancel()
        }
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            expire()
        }
        timer = (task, deadline)
    }

    private func expire() {
        guard let context, let deadline else { return }
        guard NIODeadline.now() >= deadline else { return arm() }
        logger.debug("closing a silent connection", metadata: ["phase": "\(phase)", "peer": "\(context.remoteAddress?.description ?? "?")"])
        context.close(promise: nil)
    }
}

/// Reports a connection's decoded request parts and written response ends to its
/// `ConnectionTimeoutHandler` (found in the pipeline when added).
final class RequestPhaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var timeouts: ConnectionTimeoutHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        timeouts = try? context.pipeline.syncOperations.handler(type: ConnectionTimeoutHandler.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: timeouts?.headReceived()
        case .body: timeouts?.bodyReceived()
        case .end: timeouts?.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { timeouts?.responseEnded() }
        context.write(data, promise: promise)
    }
}
