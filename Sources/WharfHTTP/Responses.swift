import Foundation
@_exported import HTTPTypes
import Hummingbird

/// Small constructors for the responses every API module sends.
public enum Responses {
    /// A JSON response from an already encoded body.
    public static func json(_ status: HTTPResponse.Status, _ body: Data, headers: HTTPFields = [:], contentType: String = "application/json") -> Response {
        var fields = headers
        fields[.contentType] = contentType
        fields[.contentLength] = String(body.count)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A JSON response encoding `value`.
    public static func json(_ status: HTTPResponse.Status, encoding value: some Encodable, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return json(status, body, headers: headers)
    }

    /// A response with no body.
    public static func empty(_ status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentLength] = "0"
        return Response(status: status, headers: fields, body: ResponseBody())
    }
}

extension HTTPField.Name {
    public static let dockerContentDigest = HTTPField.Name("Docker-Content-Digest")!
    public static let dockerUploadUUID = HTTPField.Name("Docker-Upload-UUID")!
    public static let dockerDistributionAPIVersion = HTTPField.Name("Docker-Distribution-API-Version")!
    public static let ociSubject = HTTPField.Name("OCI-Subject")!
    public static let ociFiltersApplied = HTTPField.Name("OCI-Filters-Applied")!
    public static let link = HTTPField.Name("Link")!
}

/// Query-string access.
extension Request {
    /// The first value of query parameter `name`.
    public func query(_ name: String) -> String? {
        uri.queryParameters.get(name)
    }

    /// Every value of query parameter `name`.
    public func queryAll(_ name: String) -> [String] {
        uri.queryParameters.getAll(name)
    }
}
