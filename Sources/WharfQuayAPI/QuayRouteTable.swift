/// The whole Quay API route table, in one place: it serves the API and produces the discovery document.
public enum QuayRouteTable {
    /// Every route of the Quay API, served by `services`.
    public static func routes(_ services: QuayServices) -> [QuayRoute] {
        let routes = UserInitializeRoutes(services: services).routes
            + SessionRoutes(services: services).routes
            + UserRoutes(services: services).routes
            + AppTokenRoutes(services: services).routes
            + OrganizationRoutes(services: services).routes
            + ApplicationRoutes(services: services).routes
            + TeamRoutes(services: services).routes
            + RobotRoutes(services: services).routes
            + RepositoryRoutes(services: services).routes
            + TagRoutes(services: services).routes
            + ManifestRoutes(services: services).routes
            + RepositoryPermissionRoutes(services: services).routes
            + PrototypeRoutes(services: services).routes
            + SuperuserRoutes(services: services).routes
            + LogRoutes(services: services).routes
            + SearchRoutes(services: services).routes
            + MessageRoutes(services: services).routes
            + ErrorRoutes(services: services).routes
            + RetiredRoutes(services: services).routes
            + PendingRoutes.routes
        return routes + [DiscoveryDocument.route(describing: routes, settings: services.settings)]
    }
}
