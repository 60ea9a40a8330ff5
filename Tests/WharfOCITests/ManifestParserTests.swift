import Foundation
import WharfOCI
import XCTest

final class ManifestParserTests: XCTestCase {
    static let configDigest = "sha256:" + String(repeating: "c", count: 64)
    static let layer1Digest = "sha256:" + String(repeating: "1", count: 64)
    static let layer2Digest = "sha512:" + String(repeating: "2", count: 128)
    static let childDigest = "sha256:" + String(repeating: "d", count: 64)
    static let child2Digest = "sha256:" + String(repeating: "e", count: 64)
    static let subjectDigest = "sha256:" + String(repeating: "f", count: 64)

    static let ociConfig = "application/vnd.oci.image.config.v1+json"
    static let ociLayer = "application/vnd.oci.image.layer.v1.tar+gzip"
    static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    /// Parses a JSON literal.
    func parse(_ json: String, contentType: String? = nil) throws(ManifestError) -> ParsedManifest {
        try ManifestParser.parse(Data(json.utf8), contentType: contentType)
    }

    /// Asserts that parsing fails with `expected`-shaped error; returns its message.
    @discardableResult
    func assertRejected(_ json: String, contentType: String? = nil, unsupported: Bool = false,
                        containing fragment: String? = nil, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            let parsed = try parse(json, contentType: contentType)
            XCTFail("accepted as \(parsed.mediaType)", file: file, line: line)
            return nil
        } catch {
            let message: String
            switch error {
            case .unsupportedMediaType(let text):
                XCTAssertTrue(unsupported, "unexpected unsupportedMediaType: \(text)", file: file, line: line)
                message = text
            case .invalid(let text):
                XCTAssertFalse(unsupported, "expected unsupportedMediaType, got invalid: \(text)", file: file, line: line)
                message = text
            }
            if let fragment {
                XCTAssertTrue(message.contains(fragment), "\"\(message)\" does not mention \"\(fragment)\"", file: file, line: line)
            }
            return message
        }
    }

    func ociManifest(mediaTypeField: Bool = true, config: String? = nil, extra: String = "") -> String {
        """
        {
          "schemaVersion": 2,
          \(mediaTypeField ? "\"mediaType\": \"\(MediaType.ociManifest)\"," : "")
          "config": \(config ?? "{\"mediaType\": \"\(Self.ociConfig)\", \"digest\": \"\(Self.configDigest)\", \"size\": 7023}"),
          "layers": [
            {"mediaType": "\(Self.ociLayer)", "digest": "\(Self.layer1Digest)", "size": 32654},
            {"mediaType": "\(Self.ociLayer)", "digest": "\(Self.layer2Digest)", "size": 16724,
             "annotations": {"org.opencontainers.image.title": "layer2"}}
          ]\(extra)
        }
        """
    }

    func ociIndex(mediaTypeField: Bool = true, extra: String = "") -> String {
        """
        {
          "schemaVersion": 2,
          \(mediaTypeField ? "\"mediaType\": \"\(MediaType.ociIndex)\"," : "")
          "manifests": [
            {"mediaType": "\(MediaType.ociManifest)", "digest": "\(Self.childDigest)", "size": 7143,
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "\(MediaType.ociManifest)", "digest": "\(Self.child2Digest)", "size": 7682,
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8", "os.version": "1.0", "os.features": ["x"]}}
          ]\(extra)
        }
        """
    }

    // MARK: Accepted manifests

    func testOCIImageManifest() throws {
        let parsed = try parse(ociManifest(extra: #", "annotations": {"com.example.key": "value"}"#),
                               contentType: MediaType.ociManifest)
        XCTAssertEqual(parsed.mediaType, MediaType.ociManifest)
        XCTAssertEqual(parsed.blobs.map(\.digest), [Self.configDigest, Self.layer1Digest, Self.layer2Digest])
        XCTAssertEqual(parsed.blobs.map(\.size), [7023, 32654, 16724])
        XCTAssertEqual(parsed.blobs[2].annotations, ["org.opencontainers.image.title": "layer2"])
        XCTAssertEqual(parsed.children, [])
        XCTAssertNil(parsed.subject)
        XCTAssertEqual(parsed.configMediaType, Self.ociConfig)
        XCTAssertEqual(parsed.layersSize, 32654 + 16724, "config excluded")
        XCTAssertEqual(parsed.annotations, ["com.example.key": "value"])
    }

    func testArtifactTypeFallsBackToConfigMediaTypeForOCIManifest() throws {
        let parsed = try parse(ociManifest())
        XCTAssertEqual(parsed.artifactType, Self.ociConfig)

        let artifactConfig = #"{"mediaType": "application/vnd.example.sbom.v1+json", "digest": "\#(Self.configDigest)", "size": 2}"#
        let artifact = try parse(ociManifest(config: artifactConfig))
        XCTAssertEqual(artifact.artifactType, "application/vnd.example.sbom.v1+json")
        XCTAssertEqual(artifact.configMediaType, "application/vnd.example.sbom.v1+json")
    }

    func testExplicitArtifactTypeWins() throws {
        let emptyConfig = #"{"mediaType": "\#(MediaType.ociEmpty)", "digest": "\#(Self.configDigest)", "size": 2}"#
        let parsed = try parse(ociManifest(config: emptyConfig, extra: #", "artifactType": "application/vnd.example.signature""#))
        XCTAssertEqual(parsed.artifactType, "application/vnd.example.signature")
        XCTAssertEqual(parsed.configMediaType, MediaType.ociEmpty)
    }

    func testMediaTypeFromBodyWhenNoContentType() throws {
        XCTAssertEqual(try parse(ociManifest(), contentType: nil).mediaType, MediaType.ociManifest)
        XCTAssertEqual(try parse(ociManifest(), contentType: "").mediaType, MediaType.ociManifest)
        XCTAssertEqual(try parse(ociIndex(), contentType: nil).mediaType, MediaType.ociIndex)
    }

    func testMediaTypeFromContentTypeWhenBodyHasNone() throws {
        XCTAssertEqual(try parse(ociManifest(mediaTypeField: false), contentType: MediaType.ociManifest).mediaType, MediaType.ociManifest)
        XCTAssertEqual(try parse(ociIndex(mediaTypeField: false), contentType: MediaType.ociIndex).mediaType, MediaType.ociIndex)
    }

    func testMediaTypeGuessedWhenNeitherIsGiven() throws {
        XCTAssertEqual(try parse(ociManifest(mediaTypeField: false)).mediaType, MediaType.ociManifest)
        XCTAssertEqual(try parse(ociIndex(mediaTypeField: false)).mediaType, MediaType.ociIndex)
    }

    func testContentTypeParametersAreIgnored() throws {
        let parsed = try parse(ociManifest(), contentType: "\(MediaType.ociManifest); charset=utf-8")
        XCTAssertEqual(parsed.mediaType, MediaType.ociManifest)
    }

    func testDockerSchema2Manifest() throws {
        let json = """
        {
          "schemaVersion": 2,
          "mediaType": "\(MediaType.dockerManifest)",
          "config": {"mediaType": "\(Self.dockerConfig)", "size": 1469, "digest": "\(Self.configDigest)"},
          "layers": [{"mediaType": "\(Self.dockerLayer)", "size": 2818413, "digest": "\(Self.layer1Digest)"}]
        }
        """
        let parsed = try parse(json, contentType: MediaType.dockerManifest)
        XCTAssertEqual(parsed.mediaType, MediaType.dockerManifest)
        XCTAssertEqual(parsed.blobs.map(\.digest), [Self.configDigest, Self.layer1Digest])
        XCTAssertEqual(parsed.blobs.map(\.mediaType), [Self.dockerConfig, Self.dockerLayer])
        XCTAssertEqual(parsed.configMediaType, Self.dockerConfig)
        XCTAssertNil(parsed.artifactType, "no config fallback for Docker manifests")
        XCTAssertEqual(parsed.layersSize, 2818413)
        XCTAssertEqual(parsed.children, [])
    }

    func testDockerManifestRejectsArtifactTypeAndSubject() {
        let base = """
        "schemaVersion": 2, "mediaType": "\(MediaType.dockerManifest)",
        "config": {"mediaType": "\(Self.dockerConfig)", "size": 1, "digest": "\(Self.configDigest)"}, "layers": []
        """
        assertRejected("{\(base), \"artifactType\": \"application/x.y\"}", containing: "Docker")
        assertRejected("{\(base), \"subject\": {\"mediaType\": \"\(MediaType.ociManifest)\", \"digest\": \"\(Self.subjectDigest)\", \"size\": 1}}",
                       containing: "Docker")
    }

    func testOCIIndex() throws {
        let parsed = try parse(ociIndex(extra: #", "annotations": {"a": "b"}, "artifactType": "application/vnd.example+json""#),
                               contentType: MediaType.ociIndex)
        XCTAssertEqual(parsed.mediaType, MediaType.ociIndex)
        XCTAssertEqual(parsed.blobs, [])
        XCTAssertEqual(parsed.children.map(\.digest), [Self.childDigest, Self.child2Digest])
        XCTAssertEqual(parsed.children.map(\.size), [7143, 7682])
        XCTAssertEqual(parsed.children[0].platform?.architecture, "amd64")
        XCTAssertEqual(parsed.children[1].platform?.variant, "v8")
        XCTAssertEqual(parsed.children[1].platform?.osVersion, "1.0")
        XCTAssertEqual(parsed.children[1].platform?.osFeatures, ["x"])
        XCTAssertNil(parsed.configMediaType)
        XCTAssertEqual(parsed.artifactType, "application/vnd.example+json")
        XCTAssertEqual(parsed.annotations, ["a": "b"])
        XCTAssertEqual(parsed.layersSize, 0)
    }

    func testOCIIndexHasNoArtifactTypeFallback() throws {
        XCTAssertNil(try parse(ociIndex()).artifactType)
    }

    func testEmptyIndexIsAccepted() throws {
        let parsed = try parse(#"{"schemaVersion": 2, "mediaType": "\#(MediaType.ociIndex)", "manifests": []}"#)
        XCTAssertEqual(parsed.children, [])
    }

    func testDockerManifestList() throws {
        let json = """
        {
          "schemaVersion": 2,
          "mediaType": "\(MediaType.dockerManifestList)",
          "manifests": [
            {"mediaType": "\(MediaType.dockerManifest)", "size": 7143, "digest": "\(Self.childDigest)",
             "platform": {"architecture": "ppc64le", "os": "linux"}},
            {"mediaType": "\(MediaType.dockerManifest)", "size": 7682, "digest": "\(Self.child2Digest)",
             "platform": {"architecture": "amd64", "os": "linux", "features": ["sse4"]}}
          ]
        }
        """
        let parsed = try parse(json, contentType: MediaType.dockerManifestList)
        XCTAssertEqual(parsed.mediaType, MediaType.dockerManifestList)
        XCTAssertEqual(parsed.children.map(\.digest), [Self.childDigest, Self.child2Digest])
        XCTAssertEqual(parsed.children.map(\.mediaType), [MediaType.dockerManifest, MediaType.dockerManifest])
        XCTAssertEqual(parsed.children[1].platform?.features, ["sse4"])
        XCTAssertEqual(parsed.blobs, [])
        XCTAssertNil(parsed.artifactType)
    }

    func testSubject() throws {
        let subject = #", "subject": {"mediaType": "\#(MediaType.ociManifest)", "digest": "\#(Self.subjectDigest)", "size": 1234}"#
        let parsed = try parse(ociManifest(extra: subject))
        let descriptor = try XCTUnwrap(parsed.subject)
        XCTAssertEqual(descriptor.digest, Self.subjectDigest)
        XCTAssertEqual(descriptor.size, 1234)
        XCTAssertEqual(descriptor.mediaType, MediaType.ociManifest)
        XCTAssertEqual(parsed.blobs.count, 3, "the subject is not a blob of the manifest")

        let index = try parse(ociIndex(extra: subject))
        XCTAssertEqual(index.subject?.digest, Self.subjectDigest)
    }

    func testSubjectWithBadDigestIsRejected() {
        let subject = #", "subject": {"mediaType": "\#(MediaType.ociManifest)", "digest": "sha256:nothex", "size": 1}"#
        assertRejected(ociManifest(extra: subject), containing: "subject")
    }

    // MARK: Refused manifests

    func testContentTypeMismatchingBodyMediaType() {
        let message = assertRejected(ociManifest(), contentType: MediaType.dockerManifest)
        XCTAssertEqual(message?.contains(MediaType.dockerManifest), true)
        XCTAssertEqual(message?.contains(MediaType.ociManifest), true)
        assertRejected(ociIndex(), contentType: MediaType.ociManifest)
        assertRejected(ociManifest(), contentType: "\(MediaType.ociIndex); charset=utf-8")
    }

    func testDockerSchema1IsUnsupported() {
        let schema1 = """
        {"schemaVersion": 1, "name": "a/b", "tag": "latest", "architecture": "amd64",
         "fsLayers": [{"blobSum": "\(Self.layer1Digest)"}], "history": [{"v1Compatibility": "{}"}]}
        """
        assertRejected(schema1, contentType: MediaType.dockerSchema1, unsupported: true, containing: "schema 1")
        assertRejected(schema1, contentType: MediaType.dockerSchema1Signed, unsupported: true, containing: "schema 1")
        assertRejected(schema1, contentType: "application/json", unsupported: true)
        let withField = #"{"schemaVersion": 1, "mediaType": "\#(MediaType.dockerSchema1Signed)"}"#
        assertRejected(withField, contentType: nil, unsupported: true)
    }

    func testUnknownMediaTypeIsUnsupported() {
        assertRejected(ociManifest(mediaTypeField: false), contentType: "application/vnd.example.unknown+json",
                       unsupported: true, containing: "application/vnd.example.unknown+json")
        assertRejected(#"{"schemaVersion": 2, "mediaType": "text/plain", "layers": []}"#, unsupported: true, containing: "text/plain")
    }

    func testSchemaVersionMustBeTwo() {
        assertRejected(ociManifest().replacingOccurrences(of: "\"schemaVersion\": 2", with: "\"schemaVersion\": 1"),
                       containing: "schemaVersion")
        assertRejected(ociManifest().replacingOccurrences(of: "\"schemaVersion\": 2", with: "\"schemaVersion\": 3"),
                       containing: "schemaVersion")
        assertRejected(ociManifest().replacingOccurrences(of: "\"schemaVersion\": 2,", with: ""), containing: "schemaVersion")
        assertRejected(ociIndex().replacingOccurrences(of: "\"schemaVersion\": 2", with: "\"schemaVersion\": 1"),
                       containing: "schemaVersion")
    }

    func testNegativeSizeIsRejected() {
        let config = #"{"mediaType": "\#(Self.ociConfig)", "digest": "\#(Self.configDigest)", "size": -1}"#
        assertRejected(ociManifest(config: config), containing: "negative size")
        let layer = ociManifest().replacingOccurrences(of: "32654", with: "-32654")
        assertRejected(layer, containing: "negative size")
        let child = ociIndex().replacingOccurrences(of: "7143", with: "-7143")
        assertRejected(child, containing: "negative size")
    }

    func testBadDigestInDescriptorIsRejected() {
        let config = #"{"mediaType": "\#(Self.ociConfig)", "digest": "sha256:123", "size": 1}"#
        assertRejected(ociManifest(config: config), containing: "config has an invalid digest sha256:123")
        let upper = ociManifest().replacingOccurrences(of: Self.layer1Digest, with: "sha256:" + String(repeating: "C", count: 64))
        assertRejected(upper, containing: "invalid digest")
        let unknownAlgorithm = ociIndex().replacingOccurrences(of: Self.childDigest, with: "md5:d41d8cd98f00b204e9800998ecf8427e")
        assertRejected(unknownAlgorithm, containing: "manifest has an invalid digest")
    }

    func testBadDescriptorMediaTypeIsRejected() {
        let config = #"{"mediaType": "not-a-media-type", "digest": "\#(Self.configDigest)", "size": 1}"#
        assertRejected(ociManifest(config: config), containing: "invalid mediaType")
        let twoSlashes = #"{"mediaType": "a/b/c", "digest": "\#(Self.configDigest)", "size": 1}"#
        assertRejected(ociManifest(config: twoSlashes), containing: "invalid mediaType")
        let space = #"{"mediaType": "application/x y", "digest": "\#(Self.configDigest)", "size": 1}"#
        assertRejected(ociManifest(config: space), containing: "invalid mediaType")
    }

    func testIndexWithConfigOrLayersIsRejected() {
        let config = #", "config": {"mediaType": "\#(Self.ociConfig)", "digest": "\#(Self.configDigest)", "size": 1}"#
        assertRejected(ociIndex(extra: config), containing: "no config or layers")
        assertRejected(ociIndex(extra: #", "layers": []"#), containing: "no config or layers")
    }

    func testIndexWithoutManifestsIsRejected() {
        assertRejected(#"{"schemaVersion": 2, "mediaType": "\#(MediaType.ociIndex)"}"#, containing: "manifests")
    }

    func testImageManifestStructureIsChecked() {
        assertRejected(#"{"schemaVersion": 2, "mediaType": "\#(MediaType.ociManifest)", "layers": []}"#, containing: "config")
        let noLayers = #"{"schemaVersion": 2, "mediaType": "\#(MediaType.ociManifest)", "config": {"mediaType": "\#(Self.ociConfig)", "digest": "\#(Self.configDigest)", "size": 1}}"#
        assertRejected(noLayers, containing: "layers")
        assertRejected(ociManifest(extra: #", "manifests": []"#), containing: "manifests")
    }

    func testInvalidJSONIsRejected() {
        assertRejected("", containing: "not valid JSON")
        assertRejected("{", containing: "not valid JSON")
        assertRejected("[]", containing: "not valid JSON")
        assertRejected(#"{"schemaVersion": "2"}"#, containing: "not valid JSON")
        assertRejected(ociManifest().replacingOccurrences(of: "\"size\": 7023", with: "\"size\": \"7023\""),
                       containing: "not valid JSON")
        let missingDigest = #"{"mediaType": "\#(Self.ociConfig)", "size": 1}"#
        assertRejected(ociManifest(config: missingDigest), containing: "digest")
    }
}

final class RegistryErrorTests: XCTestCase {
    func testInsufficientScope() {
        let error = RegistryError.insufficientScope(name: "alice/app", action: "push")
        XCTAssertEqual(error.code, .unauthorized)
        XCTAssertEqual(error.code.rawValue, "UNAUTHORIZED")
        XCTAssertEqual(error.status, 401, "as distribution and Quay answer, so clients with a cached token ask for a wider one")
        XCTAssertEqual(error.detail, ["name": "alice/app", "action": "push"])
        XCTAssertTrue(error.challenges)
        XCTAssertTrue(error.insufficientScope, "the challenge says error=\"insufficient_scope\"")
        XCTAssertTrue(error.headers.isEmpty)
        XCTAssertFalse(RegistryError(.unauthorized, status: 401, "authentication required").insufficientScope)
    }

    func testChallengesOnlyFor401() {
        XCTAssertTrue(RegistryError(.unauthorized, status: 401, "authentication required").challenges)
        XCTAssertFalse(RegistryError.denied("no").challenges)
        XCTAssertFalse(RegistryError.blobUnknown("sha256:x").challenges)
    }

    func testFactories() {
        let blob = RegistryError.blobUnknown("sha256:abc")
        XCTAssertEqual(blob.code, .blobUnknown)
        XCTAssertEqual(blob.status, 404)
        XCTAssertEqual(blob.detail, ["digest": "sha256:abc"])

        XCTAssertEqual(RegistryError.manifestUnknown("v1").detail, ["reference": "v1"])
        XCTAssertEqual(RegistryError.manifestUnknown("v1").code.rawValue, "MANIFEST_UNKNOWN")
        XCTAssertEqual(RegistryError.nameUnknown("a/b").status, 404)
        XCTAssertEqual(RegistryError.nameInvalid("A").status, 400)
        XCTAssertEqual(RegistryError.nameInvalid("A").code.rawValue, "NAME_INVALID")
        XCTAssertEqual(RegistryError.uploadUnknown("u").code.rawValue, "BLOB_UPLOAD_UNKNOWN")
        XCTAssertEqual(RegistryError.uploadUnknown("u").detail, ["upload": "u"])
        XCTAssertEqual(RegistryError.digestInvalid("bad", digest: "d").code, .digestInvalid)
        XCTAssertEqual(RegistryError.digestInvalid("bad", digest: "d").message, "bad")
        XCTAssertEqual(RegistryError.manifestInvalid("m").status, 400)
        XCTAssertEqual(RegistryError.unsupported("u").status, 405)
        XCTAssertEqual(RegistryError.denied("d").status, 403)

        let range = RegistryError(.rangeInvalid, status: 416, "bad range", headers: [("Range", "0-9")])
        XCTAssertEqual(range.headers.map(\.0), ["Range"])
        XCTAssertEqual(range.headers.map(\.1), ["0-9"])
    }

    func testLayerSizesThatOverflowAreRefused() {
        let json = """
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:\(String(repeating: "c", count: 64))", "size": 2},
         "layers": [
          {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:\(String(repeating: "1", count: 64))", "size": 9223372036854775807},
          {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:\(String(repeating: "2", count: 64))", "size": 1}]}
        """
        XCTAssertThrowsError(try ManifestParser.parse(Data(json.utf8), contentType: nil)) { error in
            XCTAssertEqual(error as? ManifestError, .invalid("layer sizes add up to more than a registry can store"))
        }
    }
}
