/// The whole Portus API route table, in one place: the 46 endpoints of Portus's REST API document.
enum PortusRouteTable {
    /// Every route of the Portus API, served by `services`.
    static func routes(_ services: PortusServices) -> [PortusRoute] {
        PortusUserRoutes(services: services).routes
            + PortusNamespaceRoutes(services: services).routes
            + PortusTeamRoutes(services: services).routes
            + PortusRegistryRoutes(services: services).routes
            + PortusRepositoryRoutes(services: services).routes
            + PortusStatusRoutes(services: services).routes
    }
}
