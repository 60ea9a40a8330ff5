import Logging
import NIOConcurrencyHelpers

/// Keeps the lines a logger writes, for tests that read them.
public final class CollectedLog: @unchecked Sendable {
    public struct Line: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: [String: String]
    }
    private let lines = NIOLockedValueBox<[Line]>([])

    public init() {}

    public func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "collected") { _ in Handler(log: self) }
        logger.logLevel = level
        return logger
    }

    public var all: [Line] { lines.withLockedValue { $0 } }
    func append(_ line: Line) { lines.withLockedValue { $0.append(line) } }

    struct Handler: LogHandler {
        let log: CollectedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String,
                 function: String, line: UInt) {
            let merged = metadata.merging(extra ?? [:]) { _, new in new }
            log.append(Line(level: level, message: message.description, metadata: merged.mapValues { "\($0)" }))
        }
    }
}
