import Foundation
import NIOCore
import WharfFaults
import WharfMetadata

/// Why the server (or a command that opens its state) cannot start: one line naming the file, directory,
/// database or address that could not be used, and why.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// Runs `body`, turning a failure into "`what`: reason".
    static func wrap<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("\(what): \(reason(error))")
        }
    }

    /// Runs `body`, turning a failure into "`what`: reason".
    static func wrap<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("\(what): \(reason(error))")
        }
    }

    /// A short, one-line reason for `error`.
    public static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        let text = (error as? ServiceFault)?.reason ?? DatabaseFaults.describe(error)
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
