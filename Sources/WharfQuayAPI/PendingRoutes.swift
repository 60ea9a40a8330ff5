import HTTPTypes

/// Endpoints of the Quay API guide under `/repository/{repository}/…` that Wharf does not serve yet.
/// They answer a clear 501, and being more specific than `/repository/{repository}` (whose parameter
/// spans several path segments), they keep a request for one of them from reaching the repository routes.
enum PendingRoutes {
    static let endpoints: [(HTTPRequest.Method, String)] = [
        (.get, "/api/v1/repository/{repository}/autoprunepolicy"),
        (.post, "/api/v1/repository/{repository}/autoprunepolicy"),
        (.get, "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}"),
        (.put, "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}"),
        (.delete, "/api/v1/repository/{repository}/autoprunepolicy/{policy_uuid}"),
        (.get, "/api/v1/repository/{repository}/build/"),
        (.post, "/api/v1/repository/{repository}/build/"),
        (.get, "/api/v1/repository/{repository}/build/{build_uuid}"),
        (.delete, "/api/v1/repository/{repository}/build/{build_uuid}"),
        (.get, "/api/v1/repository/{repository}/build/{build_uuid}/logs"),
        (.get, "/api/v1/repository/{repository}/build/{build_uuid}/status"),
        (.get, "/api/v1/repository/{repository}/mirror"),
        (.post, "/api/v1/repository/{repository}/mirror"),
        (.put, "/api/v1/repository/{repository}/mirror"),
        (.post, "/api/v1/repository/{repository}/mirror/sync-cancel"),
        (.post, "/api/v1/repository/{repository}/mirror/sync-now"),
        (.get, "/api/v1/repository/{repository}/notification/"),
        (.post, "/api/v1/repository/{repository}/notification/"),
        (.get, "/api/v1/repository/{repository}/notification/{uuid}"),
        (.post, "/api/v1/repository/{repository}/notification/{uuid}"),
        (.delete, "/api/v1/repository/{repository}/notification/{uuid}"),
        (.post, "/api/v1/repository/{repository}/notification/{uuid}/test"),
        (.get, "/api/v1/repository/{repository}/trigger/"),
        (.get, "/api/v1/repository/{repository}/trigger/{trigger_uuid}"),
        (.put, "/api/v1/repository/{repository}/trigger/{trigger_uuid}"),
        (.delete, "/api/v1/repository/{repository}/trigger/{trigger_uuid}"),
        (.post, "/api/v1/repository/{repository}/trigger/{trigger_uuid}/activate"),
        (.get, "/api/v1/repository/{repository}/trigger/{trigger_uuid}/builds"),
        (.post, "/api/v1/repository/{repository}/trigger/{trigger_uuid}/start"),
    ]

    static var routes: [QuayRoute] {
        endpoints.map { method, path in
            QuayRoute(method, path, operationID: "", summary: "Not served by Wharf yet.", availability: .pending,
                      handler: QuayRoute.notSupportedYet)
        }
    }
}
