import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WharfHTTP
import WharfDomain
import WharfMetadata
import WharfOCI
import WharfStorage

/// Serves the OCI distribution API under `/v2`: parses the route, identifies the caller, hands the
/// request to the domain and renders the answer; every failure is rendered in the specification's error
/// format here. It reads the store and the blob store directly (pulls), and changes nothing but through
/// the domain's services.
public struct RegistryHandler: Sendable {
    let configuration: RegistryConfiguration
    let authorizer: RegistryAuthorizer
    let domain: Domain
    let store: MetadataStore
    let blobs: BlobStore
    let tokens: RegistryTokenService
    /// Pull and push counts (popularity and statistics).
    let activity: RepositoryActivity
    let logger: Logger

    public init(configuration: RegistryConfiguration, domain: Domain, tokens: RegistryTokenService, activity: RepositoryActivity, logger: Logger) {
        self.configuration = configuration
        self.domain = domain
        store = domain.store
        blobs = domain.blobs
        self.tokens = tokens
        self.activity = activity
        self.logger = logger
        authorizer = RegistryAuthorizer(domain: domain, tokens: tokens)
    }

    /// Whether `path` belongs to the registry API.
    public static func handles(_ path: String) -> Bool { path == "/v2" || path.hasPrefix("/v2/") }

    /// Answers one `/v2` request.
    public func respond(to request: Request, context: CallContext) async -> Response {
        var response: Response
        do {
            try EdgeError.checkText(of: request)
            response = try await route(request, context: context)
        } catch let error as RegistryError {
            response = render(error, request: request)
        } catch let error as ContentError {
            response = render(RegistryError(error), request: request)
        } catch let error as DomainError {
            response = render(RegistryError(error), request: request)
        } catch {
            response = render(Self.registryError(for: error, logger: context.logger, path: request.uri.path), request: request)
        }
        response.headers[.dockerDistributionAPIVersion] = "registry/2.0"
        return response
    }

    private func route(_ request: Request, context: CallContext) async throws -> Response {
        let remoteIP = context.remoteIP
        guard let route = RegistryRoute(path: request.uri.path) else {
            throw RegistryError(.nameInvalid, status: 404, "no such endpoint", detail: ["path": request.uri.path])
        }
        if route == .token {
            guard request.method == .get else { throw methodNotAllowed }
            return try await issueToken(request, context: context)
        }
        let caller = try await authorizer.caller(for: request, ip: remoteIP)
        context.identify(caller.identity.account?.username ?? caller.claims?.context.user)
        switch (route, request.method) {
        case (.base, .get), (.base, .head):
            guard !caller.identity.isAnonymous || caller.claims != nil else {
                throw RegistryError(.unauthorized, status: 401, "authentication required")
            }
            return request.method == .head ? Responses.empty(.ok) : Responses.json(.ok, Data("true".utf8))
        case (.catalog, .get):
            return try await catalog(request, caller: caller)
        case (.tags(let name), .get):
            return try await tagList(request, caller: caller, name: name)
        case (.manifest(let name, let reference), .get), (.manifest(let name, let reference), .head):
            return try await getManifest(request, caller: caller, name: name, reference: reference)
        case (.manifest(let name, let reference), .put):
            return try await putManifest(request, caller: caller, name: name, reference: reference)
        case (.manifest(let name, let reference), .delete):
            return try await deleteManifest(request, caller: caller, name: name, reference: reference)
        case (.blob(let name, let digest), .get), (.blob(let name, let digest), .head):
            return try await getBlob(request, caller: caller, name: name, digest: digest)
        case (.blob(let name, let digest), .delete):
            return try await deleteBlob(caller: caller, name: name, digest: digest)
        case (.uploads(let name), .post):
            return try await startUpload(request, caller: caller, name: name)
        case (.upload(let name, let id), .get):
            return try await uploadStatus(caller: caller, name: name, id: id)
        case (.upload(let name, let id), .patch):
            return try await patchUpload(request, caller: caller, name: name, id: id)
        case (.upload(let name, let id), .put):
            return try await completeUpload(request, caller: caller, name: name, id: id)
        case (.upload(let name, let id), .delete):
            return try await cancelUpload(caller: caller, name: name, id: id)
        case (.referrers(let name, let digest), .get):
            return try await referrers(request, caller: caller, name: name, digest: digest)
        default:
            throw methodNotAllowed
        }
    }

    private var methodNotAllowed: RegistryError { .unsupported("the operation is unsupported") }

    /// The registry's answer to a failure that is not a `RegistryError`: the shared ones (`EdgeError`) with
    /// the spec's codes, anything else a logged 500.
    static func registryError(for error: any Error, logger: Logger, path: String) -> RegistryError {
        guard let edge = EdgeError(error) else {
            logger.error("registry request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            return RegistryError(.unknown, status: 500, "internal server error")
        }
        let code: RegistryError.Code = switch edge {
        case .serviceFault: .unavailable
        case .badRequest, .malformedHTTP: .invalidRequest
        case .tooLarge: .sizeInvalid
        case .tooManyAttempts: .tooManyRequests
        }
        return RegistryError(code, status: Int(edge.status.code), edge.message,
                             headers: edge.headers.map { ($0.name.rawName, $0.value) })
    }

    /// The error body, with the auth challenge on 401 and no body on HEAD.
    private func render(_ error: RegistryError, request: Request) -> Response {
        var headers = HTTPFields()
        for (name, value) in error.headers { headers[HTTPField.Name(name)!] = value }
        if error.challenges {
            headers[.wwwAuthenticate] = challenge(for: request) + (error.insufficientScope ? ",error=\"insufficient_scope\"" : "")
        }
        let body: [String: Any] = ["errors": [["code": error.code.rawValue, "message": error.message, "detail": error.detail]]]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        let status = HTTPResponse.Status(code: error.status)
        if request.method == .head {
            headers[.contentType] = "application/json"
            return Responses.empty(status, headers: headers)
        }
        return Responses.json(status, data, headers: headers)
    }

    /// `Bearer realm=…,service=…[,scope=…]` naming the scope the request needs: `pull` to read, `delete` to
    /// delete, `pull,push` to write, and for a mount also `pull` on the repository mounted from.
    func challenge(for request: Request) -> String {
        var value = "Bearer realm=\"\(configuration.realm)\",service=\"\(configuration.serverHostname)\""
        guard let route = RegistryRoute(path: request.uri.path), let name = route.repositoryName else { return value }
        let actions = switch request.method {
        case .get, .head: "pull"
        case .delete: "delete"
        default: "pull,push"
        }
        var scopes = ["repository:\(name):\(actions)"]
        if case .uploads = route, request.query("mount") != nil, let source = request.query("from"), RepositoryName(source) != nil {
            scopes.append("repository:\(source):pull")
        }
        value += ",scope=\"\(scopes.joined(separator: " "))\""
        return value
    }

    /// Absolute path of a repository endpoint, for `Location` headers.
    func path(_ name: String, _ suffix: String) -> String { "/v2/\(name)/\(suffix)" }
}
