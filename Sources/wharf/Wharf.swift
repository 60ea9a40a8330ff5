import ArgumentParser
import Foundation
import Logging
import WharfDomain
import WharfMetadata
import WharfServer

/// The `wharf` command.
@main
struct Wharf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wharf: a container image registry with the Quay and Portus APIs.",
        subcommands: [Serve.self, UserCommand.self, TokenCommand.self])
}

/// Options shared by every command that opens the server's state.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on.") var hostname: String = "127.0.0.1"
    @Option(help: "Port to listen on (1-65535).") var port: Int = 5000
    @Option(name: .customLong("data-dir"),
            help: "Directory holding all state (database, blobs, keys). A relative path is taken from the current directory, so run every command from the same place or give the same --data-dir.")
    var dataDir: String = "./wharf-data"
    @Option(help: "YAML configuration file with Quay's key names.") var config: String?

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535, not \(port)") }
    }

    /// The data directory as an absolute path, for messages.
    var absoluteDataDirectory: String { URL(fileURLWithPath: dataDir).standardizedFileURL.path }

    func load() throws -> WharfConfiguration {
        var configuration = WharfConfiguration()
        configuration.hostname = hostname
        configuration.port = port
        configuration.dataDirectory = dataDir
        if let config {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                let reason = FileManager.default.fileExists(atPath: config) ? "it cannot be read" : "there is no such file"
                throw StartupError("cannot read the configuration file \(config): \(reason)")
            }
            do {
                try configuration.apply(yaml: text)
            } catch let error as WharfConfiguration.Invalid {
                throw StartupError("configuration file \(config): \(error.description)")
            } catch {
                throw StartupError("configuration file \(config) is not valid YAML: \(StartupError.reason(error))")
            }
        }
        return configuration
    }
}

/// Runs `body` with the server's state opened (not listening), and closes the database afterwards. Says
/// which data directory it uses, and refuses one that does not exist: a command run from the wrong place
/// would otherwise create a new, empty store beside the server's and report success.
func withServer<T>(_ options: ServerOptions, _ body: (WharfServer) async throws -> T) async throws -> T {
    let configuration = try options.load()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: configuration.dataDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw StartupError("there is no data directory at \(options.absoluteDataDirectory): run this command where `wharf serve` runs, or pass the server's --data-dir (and --config)")
    }
    FileHandle.standardError.write(Data("wharf: using the data directory \(options.absoluteDataDirectory)\n".utf8))
    let server = try await WharfServer.assemble(configuration, logger: makeLogger())
    let result: T
    do {
        result = try await body(server)
    } catch {
        try? await server.store.shutdown()
        throw error
    }
    try await server.store.shutdown()
    return result
}

func makeLogger() -> Logger {
    var logger = Logger(label: "wharf")
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}

/// `wharf serve`: runs the registry.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the registry server.")
    @OptionGroup var options: ServerOptions

    func run() async throws {
        let logger = makeLogger()
        let configuration = try options.load()
        let server = try await WharfServer.assemble(configuration, logger: logger)
        let connections = DescriptorLimit.raise(connectionLimit: configuration.maxConnections, logger: logger)
        let address = "\(configuration.hostname):\(configuration.port)"
        let listening = ListeningFlag()
        do {
            try await server.run(connectionLimit: connections) { _ in
                listening.set()
                logger.info("wharf listening", metadata: ["address": "\(address)", "data-dir": "\(options.absoluteDataDirectory)"])
            }
        } catch where !listening.isSet {
            try? await server.store.shutdown()
            throw StartupError("cannot listen on \(address): \(StartupError.reason(error))")
        }
        try await server.store.shutdown()
    }
}

/// `wharf user …`: account administration.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage users.", subcommands: [CreateUser.self])
}

/// `wharf user create`: creates a user with a password.
struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a user.")
    @OptionGroup var options: ServerOptions
    @Option var username: String
    @Option(help: "Password (at least 8 characters).") var password: String
    @Option var email: String?

    func run() async throws {
        try await withServer(options) { server in
            let account = try await server.accounts.createUser(username: username, password: password, email: email, via: "command line")
            print("created user \(account.username)")
        }
    }
}

/// `wharf token …`: API token administration.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Manage API tokens.", subcommands: [CreateToken.self])
}

/// `wharf token create`: mints an OAuth access token for a user, with the given scopes, for the Quay
/// API (`Authorization: Bearer`) and for `docker login` as `$oauthtoken`.
struct CreateToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Mint an OAuth access token for a user.")
    @OptionGroup var options: ServerOptions
    @Option var username: String
    @Option(name: .customLong("scope"), help: "A scope (repeatable): \(Scope.allCases.map(\.rawValue).joined(separator: ", ")).")
    var scopes: [String] = []
    @Option(name: .customLong("expires-in"), help: "Lifetime in seconds (default: 10 years, at most 100 years).") var expiresIn: Int?

    func validate() throws {
        if let expiresIn, !(1...(100 * 365 * 86_400)).contains(expiresIn) {
            throw ValidationError("--expires-in must be between 1 second and 100 years")
        }
    }

    func run() async throws {
        let parsed = Set(scopes.compactMap(Scope.init(rawValue:)))
        guard !scopes.isEmpty, parsed.count == Set(scopes).count else {
            throw ValidationError("give one or more --scope among \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try await withServer(options) { server in
            guard let account = try await server.store.account(named: username), !account.isOrganization, !account.isRobot else {
                throw ValidationError("no user named \(username)")
            }
            let token = try await server.authenticator.mintOAuthToken(for: account, scopes: parsed,
                                                                      lifetime: expiresIn.map(TimeInterval.init) ?? OAuthService.tokenLifetime,
                                                                      by: nil, via: "command line")
            await server.deliverer.flush()
            print(token)
        }
    }
}
