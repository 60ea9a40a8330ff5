import Foundation

/// The time window of a log query, from the `starttime` and `endtime` parameters (`%m/%d/%Y`, UTC) as
/// Quay reads them: an unreadable date counts as absent; the start defaults to a day ago and the end to
/// now; the end is then moved a day later, so that its day is included.
struct LogWindow: Equatable {
    let startMs: Int64
    let endMs: Int64

    static let dayMs: Int64 = 86_400_000

    /// The window for the two parameters at `nowMs`; 400 when it ends before it starts.
    static func parse(start: String?, end: String?, nowMs: Int64) throws -> LogWindow {
        let startMs = start.flatMap(midnightMs) ?? nowMs - dayMs
        let endMs = (end.flatMap(midnightMs) ?? nowMs) + dayMs
        guard endMs >= startMs else {
            throw QuayAPIError.message(400, "The browser (or proxy) sent a request that this server could not understand.")
        }
        return LogWindow(startMs: startMs, endMs: endMs)
    }

    /// Midnight UTC of a `month/day/year` date, in ms since the epoch; nil when it is not a real date.
    static func midnightMs(_ text: String) -> Int64? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isASCII) }),
              let month = Int(parts[0]), let day = Int(parts[1]), let year = Int(parts[2]),
              parts[0].count <= 2, parts[1].count <= 2, (1...12).contains(month), (1...9999).contains(year) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
              calendar.component(.day, from: date) == day else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
