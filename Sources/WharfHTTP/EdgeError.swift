import Hummingbird
import NIOHTTP1
import WharfFaults
import WharfDomain

/// Failures every API answers alike, differing only in their error format: a service being out (503 with
/// `Retry-After`) or full (507), a request that breaks HTTP or carries text that cannot be stored (400), a
/// body over its limit (413), too many sign-in attempts (429). Each API renders these in one place; any
/// other error is the API's own, or a bug (500).
public enum EdgeError: Error, Sendable {
    case serviceFault(ServiceFault)
    case badRequest(String)
    /// The request's byte stream is broken (a malformed chunked body): answered, then the connection closes.
    case malformedHTTP(String)
    case tooLarge
    case tooManyAttempts(retryAfter: Int)

    /// The shared failure `error` is, or nil when it is not one of them.
    public init?(_ error: any Error) {
        switch error {
        case let error as EdgeError: self = error
        case let fault as ServiceFault: self = .serviceFault(fault)
        case is UnstorableText: self = .badRequest("The request contains a NUL character, which cannot be stored")
        case let error as HTTPParserError: self = .malformedHTTP("The request is not valid HTTP (\(error))")
        case let error as any HTTPResponseError where error.status == .contentTooLarge: self = .tooLarge
        case let error as LoginThrottle.TooManyAttempts: self = .tooManyAttempts(retryAfter: error.retryAfter)
        default: return nil
        }
    }

    public var status: HTTPResponse.Status {
        switch self {
        case .serviceFault(let fault): HTTPResponse.Status(code: fault.status)
        case .badRequest, .malformedHTTP: .badRequest
        case .tooLarge: .contentTooLarge
        case .tooManyAttempts: .tooManyRequests
        }
    }

    /// What the client is told.
    public var message: String {
        switch self {
        case .serviceFault(let fault): fault.message
        case .badRequest(let message), .malformedHTTP(let message): message
        case .tooLarge: "Request body too large"
        case .tooManyAttempts: "Too many login attempts; retry later"
        }
    }

    /// Whether `error` is a request body over its limit.
    public static func isTooLarge(_ error: any Error) -> Bool {
        if case .tooLarge = EdgeError(error) { return true }
        return false
    }

    /// `Retry-After` for 503 and 429, `Connection: close` after a malformed request.
    public var headers: HTTPFields {
        switch self {
        case .serviceFault(let fault): fault.retryAfterSeconds.map { [.retryAfter: String($0)] } ?? [:]
        case .tooManyAttempts(let seconds): [.retryAfter: String(seconds)]
        case .malformedHTTP: [.connection: "close"]
        case .badRequest, .tooLarge: [:]
        }
    }

    /// Refuses a request whose path or query parameters carry a NUL character (`%00`), which no name or
    /// filter may contain and which PostgreSQL cannot store.
    public static func checkText(of request: Request) throws {
        let decodedPath = request.uri.path.removingPercentEncoding ?? request.uri.path
        guard !decodedPath.contains("\0"), !request.uri.queryParameters.contains(where: { $0.key.contains("\0") || $0.value.contains("\0") }) else {
            throw EdgeError.badRequest("The request's path or query contains a NUL character")
        }
    }
}
