import Foundation
import HTTPTypes
import Hummingbird
import WharfDomain
import WharfHTTP
import WharfMetadata
import WharfOCI

extension RegistryHandler {
    /// `POST /v2/<name>/blobs/uploads/`: a new session, a monolithic upload (`?digest=`) or a mount
    /// (`?mount=&from=`, falling back to a new session when the source cannot be read).
    func startUpload(_ request: Request, caller: RegistryCaller, name: String) async throws -> Response {
        let repository = try await authorizer.requireExisting(.push, caller: caller, name: name)
        if let mount = request.query("mount"), let digest = Digest(mount), let from = request.query("from") {
            let source = try? await authorizer.standing(caller, on: from)
            if let source, source.actions.contains(.pull), let sourceRepository = source.repository,
               try await domain.blobLinks.mount(digest, from: sourceRepository, into: repository, by: caller.performer) {
                return blobCreated(name: name, digest: digest)
            }
        }
        if let raw = request.query("digest") {
            guard let digest = Digest(raw) else { throw RegistryError.digestInvalid("invalid digest", digest: raw) }
            let id = try await domain.uploads.start(in: repository)
            let upload = try await domain.uploads.session(id, in: repository)
            do {
                try await domain.uploads.complete(upload, digest: digest, lastChunk: request.body, range: nil, by: caller.performer)
            } catch {
                try? await domain.uploads.cancel(upload)
                throw error
            }
            return blobCreated(name: name, digest: digest)
        }
        let id = try await domain.uploads.start(in: repository)
        return Responses.empty(.accepted, headers: sessionHeaders(name: name, id: id, size: 0))
    }

    /// `GET /v2/<name>/blobs/uploads/<id>`: how much has been received. As in distribution, reading the
    /// repository is enough: the unguessable upload id is the rest of the credential.
    func uploadStatus(caller: RegistryCaller, name: String, id: String) async throws -> Response {
        guard let repository = try await authorizer.require(.pull, caller: caller, name: name) else { throw RegistryError.uploadUnknown(id) }
        let upload = try await domain.uploads.session(id, in: repository)
        return Responses.empty(.noContent, headers: sessionHeaders(name: name, id: id, size: upload.byteCount))
    }

    /// `PATCH /v2/<name>/blobs/uploads/<id>`: a streamed body or a chunk with `Content-Range`.
    func patchUpload(_ request: Request, caller: RegistryCaller, name: String, id: String) async throws -> Response {
        let repository = try await authorizer.requireExisting(.push, caller: caller, name: name)
        let upload = try await domain.uploads.session(id, in: repository)
        let size = try await withUploadLocation(name: name, id: id) {
            try await domain.uploads.append(request.body, to: upload, range: try chunkRange(request, of: upload))
        }
        return Responses.empty(.accepted, headers: sessionHeaders(name: name, id: id, size: size))
    }

    /// The request's `Content-Range`, if it has one; 416 when it cannot be read.
    private func chunkRange(_ request: Request, of upload: UploadRecord) throws -> ChunkRange? {
        guard let header = request.headers[.contentRange] else { return nil }
        guard let range = UploadService.parseContentRange(header) else {
            throw RegistryError(.rangeInvalid, status: 416, "invalid Content-Range \(header)",
                                headers: [("Range", RegistryError.rangeHeader(size: upload.byteCount)), ("Docker-Upload-UUID", upload.uuid)])
        }
        return range
    }

    /// Runs `body`, adding the upload's `Location` to a 416, so that the client can ask where to resume.
    private func withUploadLocation<T>(name: String, id: String, _ body: () async throws -> T) async throws -> T {
        do {
            do {
                return try await body()
            } catch let error as ContentError {
                throw RegistryError(error)
            }
        } catch let error as RegistryError where error.status == 416 {
            throw RegistryError(error.code, status: 416, error.message, detail: error.detail,
                                headers: error.headers + [("Location", path(name, "blobs/uploads/\(id)"))])
        }
    }

    /// `PUT /v2/<name>/blobs/uploads/<id>?digest=`: completes the upload, with or without a last chunk (which,
    /// like a `PATCH`, may name its place with `Content-Range`).
    func completeUpload(_ request: Request, caller: RegistryCaller, name: String, id: String) async throws -> Response {
        let repository = try await authorizer.requireExisting(.push, caller: caller, name: name)
        let upload = try await domain.uploads.session(id, in: repository)
        guard let raw = request.query("digest") else {
            throw RegistryError.digestInvalid("the digest query parameter is required", digest: "")
        }
        guard let digest = Digest(raw) else {
            try await domain.uploads.cancel(upload)
            throw RegistryError.digestInvalid("invalid digest", digest: raw)
        }
        try await withUploadLocation(name: name, id: id) {
            try await domain.uploads.complete(upload, digest: digest, lastChunk: request.body, range: try chunkRange(request, of: upload),
                                              by: caller.performer)
        }
        return blobCreated(name: name, digest: digest)
    }

    /// `DELETE /v2/<name>/blobs/uploads/<id>`: cancels the upload.
    func cancelUpload(caller: RegistryCaller, name: String, id: String) async throws -> Response {
        let repository = try await authorizer.requireExisting(.push, caller: caller, name: name)
        let upload = try await domain.uploads.session(id, in: repository)
        try await domain.uploads.cancel(upload)
        return Responses.empty(.noContent)
    }

    /// 201 for a blob now in the repository.
    private func blobCreated(name: String, digest: Digest) -> Response {
        Responses.empty(.created, headers: [.location: path(name, "blobs/\(digest)"), .dockerContentDigest: digest.description])
    }

    private func sessionHeaders(name: String, id: String, size: Int64) -> HTTPFields {
        [.location: path(name, "blobs/uploads/\(id)"), .range: RegistryError.rangeHeader(size: size), .dockerUploadUUID: id]
    }
}
