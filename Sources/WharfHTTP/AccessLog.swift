import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers

/// One structured line per request, at `info` (shown unless `LOG_LEVEL` is `notice` or quieter): method,
/// path, status, bytes sent, duration, caller and request id, written once the body has been sent, so
/// that a download's duration counts its transfer (a body cut off by the client logs what was sent).
public enum AccessLog {
    /// `response`, tagged with the request id, with its access-log line written when it is finished.
    public static func finish(_ response: Response, for request: Request, context: CallContext) -> Response {
        var response = response
        response.headers[.requestID] = context.requestID
        guard context.logger.logLevel <= .info else { return response }
        let method = request.method.rawValue
        let path = request.uri.path
        let status = response.status.code
        guard request.method != .head else {
            // No body is sent: the line is written as the response leaves.
            write(context, method: method, path: path, status: status, bytes: 0)
            return response
        }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            let counter = NIOLockedValueBox(0)
            do {
                try await body.write(CountingWriter(base: writer, counter: counter))
            } catch {
                write(context, method: method, path: path, status: status, bytes: counter.withLockedValue { $0 }, interrupted: true)
                throw error
            }
            write(context, method: method, path: path, status: status, bytes: counter.withLockedValue { $0 })
        }
        return response
    }

    static func write(_ context: CallContext, method: String, path: String, status: Int, bytes: Int, interrupted: Bool = false) {
        var metadata: Logger.Metadata = [
            "method": "\(method)", "path": "\(path)", "status": "\(status)", "bytes": "\(bytes)",
            "duration_ms": "\(String(format: "%.1f", context.elapsedMs))", "user": "\(context.callerName ?? "-")",
        ]
        if let ip = context.remoteIP { metadata["ip"] = "\(ip)" }
        if interrupted { metadata["interrupted"] = "true" }
        context.logger.info("request", metadata: metadata)
    }
}

/// Passes a body through, counting its bytes.
struct CountingWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let counter: NIOLockedValueBox<Int>

    mutating func write(_ buffer: ByteBuffer) async throws {
        counter.withLockedValue { $0 += buffer.readableBytes }
        try await base.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}
