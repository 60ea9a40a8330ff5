import Foundation
import HTTPTypes
import Hummingbird
import WharfDomain
import WharfHTTP
import WharfOCI
import WharfStorage

extension RegistryHandler {
    /// `GET`/`HEAD /v2/<name>/blobs/<digest>`, with single `Range` requests.
    func getBlob(_ request: Request, caller: RegistryCaller, name: String, digest raw: String) async throws -> Response {
        let repository = try await authorizer.require(.pull, caller: caller, name: name)
        guard let digest = Digest(raw) else { throw RegistryError.digestInvalid("invalid digest", digest: raw) }
        guard let repository, try await store.linkedBlob(repositoryID: repository.id, digest: digest.description) != nil,
              let size = try await blobs.size(of: digest) else { throw RegistryError.blobUnknown(raw) }
        var headers: HTTPFields = [.dockerContentDigest: digest.description, .acceptRanges: "bytes",
                                   .cacheControl: "max-age=31536000", .contentType: "application/octet-stream"]
        if let url = try await blobs.redirectURL(for: digest) {
            headers[.location] = url
            return Responses.empty(.temporaryRedirect, headers: headers)
        }
        var range: ClosedRange<Int64>?
        if let header = request.headers[.range] {
            switch Self.parseRange(header, size: size) {
            case .whole: break
            case .satisfiable(let bounds): range = bounds
            case .unsatisfiable:
                throw RegistryError(.rangeInvalid, status: 416, "requested range not satisfiable",
                                    headers: [("Content-Range", "bytes */\(size)")])
            }
        }
        let length = range.map { Int64($0.count) } ?? size
        headers[.contentLength] = String(length)
        if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
        let status: HTTPResponse.Status = range == nil ? .ok : .partialContent
        if request.method == .head {
            return Response(status: status, headers: headers, body: ResponseBody())
        }
        let stream = try await blobs.read(digest, range: range)
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
            for try await buffer in stream { try await writer.write(buffer) }
            try await writer.finish(nil)
        })
    }

    /// `DELETE /v2/<name>/blobs/<digest>`: removes the blob from the repository, whatever linked it there
    /// (an upload, a mount or a manifest), as distribution does; whether its bytes go is garbage
    /// collection's decision.
    func deleteBlob(caller: RegistryCaller, name: String, digest raw: String) async throws -> Response {
        let grant = try await authorizer.requireGrant(.delete, caller: caller, name: name)
        guard let digest = Digest(raw) else { throw RegistryError.digestInvalid("invalid digest", digest: raw) }
        guard let grant else { throw RegistryError.blobUnknown(raw) }
        try await domain.blobLinks.unlink(digest, with: grant, by: caller.performer)
        return Responses.empty(.accepted)
    }

    /// How a `Range` header applies to a blob of `size` bytes.
    enum RangeRequest: Equatable {
        case whole
        case satisfiable(ClosedRange<Int64>)
        case unsatisfiable
    }

    /// Parses a single `bytes=` range (`a-b`, `a-`, `-n`); anything else serves the whole blob.
    static func parseRange(_ header: String, size: Int64) -> RangeRequest {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard spec.count == 2 else { return .whole }
        if spec[0].isEmpty {
            guard let suffix = Int64(spec[1]), suffix > 0, size > 0 else { return .unsatisfiable }
            return .satisfiable(max(0, size - suffix)...(size - 1))
        }
        guard let start = Int64(spec[0]) else { return .whole }
        let end = spec[1].isEmpty ? size - 1 : (Int64(spec[1]) ?? -1)
        guard end >= start else { return spec[1].isEmpty ? .unsatisfiable : .whole }
        guard start < size else { return .unsatisfiable }
        return .satisfiable(start...min(end, size - 1))
    }
}
