import Foundation
import HTTPTypes
import Hummingbird
import WharfHTTP
import WharfDomain

/// `GET /api/v1/discovery`: the API in Swagger 2.0, generated from the route table that serves it — every
/// served and retired route with its path and query parameters, body schema and OAuth scope. Routes
/// Wharf does not serve yet are left out.
enum DiscoveryDocument {
    /// Quay's description of each OAuth scope.
    static let scopeDescriptions: [Scope: String] = [
        .repoRead: "This application will be able to view and pull all repositories visible to the granting user or robot account",
        .repoWrite: "This application will be able to view, push and pull to all repositories to which the granting user or robot account has write access",
        .repoAdmin: "This application will have administrator access to all repositories to which the granting user or robot account has access",
        .repoCreate: "This application will be able to create repositories in to any namespaces that the granting user or robot account is allowed to create repositories",
        .userRead: "This application will be able to read user information such as username and email address.",
        .userAdmin: "This application will be able to administer your account including creating robots and granting them permissions to your repositories. You should have absolute trust in the requesting application before granting this permission.",
        .orgAdmin: "This application will be able to administer your organizations including creating robots, creating teams, adjusting team membership, and changing billing settings. You should have absolute trust in the requesting application before granting this permission.",
        .superUser: "This application will be able to administer your installation including managing users, managing organizations and other features found in the superuser panel. You should have absolute trust in the requesting application before granting this permission.",
    ]

    /// The discovery route, describing `routes` and itself.
    static func route(describing routes: [QuayRoute], settings: QuaySettings) -> QuayRoute {
        func make(_ handler: @escaping QuayRoute.Handler) -> QuayRoute {
            QuayRoute(.get, "/api/v1/discovery", operationID: "discovery",
                      summary: "List all of the API endpoints available in the swagger API format.",
                      query: [QuayParameter("internal", .boolean, "Whether to include internal APIs.")], handler: handler)
        }
        let document = build(routes + [make { _ in Response(status: .ok) }], settings: settings)
        let data = JSONWriter.data(document)
        return make { _ in Responses.json(.ok, data) }
    }

    /// The Swagger 2.0 object.
    static func build(_ routes: [QuayRoute], settings: QuaySettings) -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        var definitions: [String: Any] = ["ApiError": apiErrorSchema]
        var tags = Set<String>()
        for route in routes where route.availability != .pending {
            var item = paths[route.path] ?? [:]
            if item["parameters"] == nil {
                item["parameters"] = route.pathParameters.map { name in
                    ["name": name, "in": "path", "type": "string", "required": true, "description": pathDescription(name)] as [String: Any]
                }
            }
            var operation: [String: Any] = [
                "operationId": route.operationID, "summary": route.summary, "description": route.summary,
                "tags": [tag(of: route)], "responses": responses(for: route.method),
            ]
            var parameters: [[String: Any]] = route.query.map { parameter in
                ["name": parameter.name, "in": "query", "type": parameter.type.rawValue, "required": parameter.required,
                 "description": parameter.description]
            }
            if let body = route.body {
                definitions[body.name] = schema(body)
                parameters.append(["name": "body", "in": "body", "required": body.required, "description": "Request body contents.",
                                   "schema": ["$ref": "#/definitions/\(body.name)"]])
            }
            operation["parameters"] = parameters
            if let scope = route.scope { operation["security"] = [["oauth2_implicit": [scope.rawValue]]] }
            if route.availability == .retired { operation["deprecated"] = true }
            item[route.method.rawValue.lowercased()] = operation
            paths[route.path] = item
            tags.insert(tag(of: route))
        }
        let base = "\(settings.urlScheme)://\(settings.serverHostname)"
        return [
            "swagger": "2.0",
            "host": settings.serverHostname,
            "basePath": "/",
            "schemes": [settings.urlScheme],
            "info": [
                "version": "v1", "title": "Quay Frontend",
                "description": "This API allows you to perform many of the operations required to work with Quay repositories, users, and organizations. This document is generated by Wharf from the routes it serves.",
            ],
            "securityDefinitions": [
                "oauth2_implicit": [
                    "type": "oauth2", "flow": "implicit", "authorizationUrl": "\(base)/oauth/authorize",
                    "scopes": Dictionary(uniqueKeysWithValues: scopeDescriptions.map { ($0.key.rawValue, $0.value) }),
                ] as [String: Any],
            ],
            "paths": paths,
            "definitions": definitions,
            "tags": tags.sorted().map { ["name": $0, "description": ""] },
        ]
    }

    /// The resource a route belongs to: the last fixed segment before the first parameter after `/api/v1`,
    /// or, below a repository, the segment after it (`tag`, `manifest`, `permissions`…).
    static func tag(of route: QuayRoute) -> String {
        let parts = route.path.split(separator: "/").dropFirst(2).map(String.init)
        guard let first = parts.first else { return "discovery" }
        if first == "repository", parts.count > 2, !parts[2].hasPrefix("{") { return parts[2] }
        return first
    }

    private static func pathDescription(_ name: String) -> String {
        switch name {
        case "repository": "The full path of the repository. e.g. namespace/name"
        case "orgname": "The name of the organization"
        case "username": "The username of the user"
        default: "The \(name.replacingOccurrences(of: "_", with: " "))"
        }
    }

    /// Quay's documented answers: success, then its ApiError answers.
    private static func responses(for method: HTTPRequest.Method) -> [String: Any] {
        var responses: [String: Any] = [:]
        switch method {
        case .post: responses["201"] = ["description": "Successful creation"]
        case .delete: responses["204"] = ["description": "Deleted"]
        default: responses["200"] = ["description": "Successful invocation"]
        }
        for (code, text) in [("400", "Bad Request"), ("401", "Session required"), ("403", "Unauthorized access"), ("404", "Not found")] {
            responses[code] = ["description": text, "schema": ["$ref": "#/definitions/ApiError"]]
        }
        return responses
    }

    private static func schema(_ body: QuayBodySchema) -> [String: Any] {
        var schema: [String: Any] = [
            "type": "object",
            "properties": Dictionary(uniqueKeysWithValues: body.properties.map { property in
                (property.name, ["type": property.type.rawValue, "description": property.description] as [String: Any])
            }),
        ]
        if !body.description.isEmpty { schema["description"] = body.description }
        let required = body.properties.filter(\.required).map(\.name)
        if !required.isEmpty { schema["required"] = required }
        return schema
    }

    private static var apiErrorSchema: [String: Any] { [
        "type": "object", "required": ["status", "type", "title"],
        "properties": [
            "status": ["type": "integer", "description": "Status code of the response."],
            "type": ["type": "string", "description": "Reference to the type of the error."],
            "detail": ["type": "string", "description": "Details about the specific instance of the error."],
            "title": ["type": "string", "description": "Unique error code to identify the type of error."],
            "error_message": ["type": "string", "description": "Deprecated; alias for detail"],
            "error_type": ["type": "string", "description": "Deprecated; alias for detail"],
        ],
    ] }
}
