import Foundation
import Hummingbird

/// The type a declared parameter must have, with Grape's coercions: strings also take numbers and
/// booleans, integers take digit strings, booleans take `true`/`false`/`1`/`0` and Virtus's words.
enum ParameterType: Sendable {
    case string
    case integer
    case boolean
    case array
    case hash([ParameterSpec])
}

/// One declared parameter of an endpoint (Grape's `requires`/`optional`).
struct ParameterSpec: Sendable {
    let name: String
    let type: ParameterType
    let required: Bool

    static func requires(_ name: String, _ type: ParameterType = .string) -> ParameterSpec { .init(name: name, type: type, required: true) }
    static func optional(_ name: String, _ type: ParameterType = .string) -> ParameterSpec { .init(name: name, type: type, required: false) }
}

/// A request's parameters as Grape sees them: the query string merged with a form-encoded or JSON
/// body, with `a[b]=c` form keys (and `a[]=x` lists) nested as JSON would be.
struct PortusParameters: @unchecked Sendable {
    let values: [String: Any]

    /// Reads the query string and the body (at most 1 MiB). A malformed JSON body is Grape's 400.
    static func read(_ request: Request) async throws -> PortusParameters {
        var values: [String: Any] = [:]
        if let query = request.uri.query { try merge(form: query, into: &values) }
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        guard buffer.readableBytes > 0 else { return PortusParameters(values: values) }
        let data = Data(buffer.readableBytesView)
        if request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true {
            guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
                throw PortusAPIError(.badRequest, "When specifying application/json as content-type, you must pass valid JSON in the request's 'body'")
            }
            if let fields = object as? [String: Any] { values.merge(fields) { _, body in body } }
        } else {
            try merge(form: String(decoding: data, as: UTF8.self), into: &values)
        }
        guard !containsNUL(values) else { throw PortusAPIError(.badRequest, "Parameters may not contain a NUL character") }
        return PortusParameters(values: values)
    }

    /// Whether a parameter's name or value, at any depth (bounded by `maximumDepth` and the JSON parser's
    /// own limit), holds a NUL character, which no Portus field may contain and PostgreSQL cannot store.
    static func containsNUL(_ value: Any) -> Bool {
        switch value {
        case let text as String: return text.contains("\0")
        case let list as [Any]: return list.contains(where: containsNUL)
        case let object as [String: Any]: return object.contains { $0.key.contains("\0") || containsNUL($0.value) }
        default: return false
        }
    }

    /// How deeply bracketed keys may nest (`a[b][c]=` is three levels): Rack's limit; deeper is a 400.
    static let maximumDepth = 100

    /// Adds `key=value&…` pairs, nesting bracketed keys. Linear in the size of the text.
    static func merge(form: String, into values: inout [String: Any]) throws {
        for pair in form.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            let path = try keyPath(parts[0])
            insert(parts.count > 1 ? parts[1] : "", at: path[...], into: &values)
        }
    }

    /// `a[b][]` as `["a", "b", ""]`; a key without brackets is a path of one.
    static func keyPath(_ key: String) throws -> [String] {
        guard let open = key.firstIndex(of: "[") else { return [key] }
        var path = [String(key[..<open])]
        var rest = key[open...]
        while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            guard path.count < maximumDepth else {
                throw PortusAPIError(.badRequest, "Parameters may nest at most \(maximumDepth) levels deep")
            }
            path.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return path
    }

    /// Stores `value` at `path`, changing the nested lists and dictionaries in place (each is taken out of its
    /// parent while it changes, so it is not copied). `path` is at most `maximumDepth` long.
    private static func insert(_ value: String, at path: ArraySlice<String>, into values: inout [String: Any]) {
        guard let head = path.first else { return }
        let rest = path.dropFirst()
        if rest.first == "" {
            var list = values.removeValue(forKey: head) as? [Any] ?? []
            list.append(value)
            values[head] = list
        } else if rest.isEmpty {
            values[head] = value
        } else {
            var nested = values.removeValue(forKey: head) as? [String: Any] ?? [:]
            insert(value, at: rest, into: &nested)
            values[head] = nested
        }
    }

    /// Checks the declared parameters as Grape does before an endpoint runs: every missing required one
    /// and every one of the wrong type is reported in one 400.
    func validate(_ specs: [ParameterSpec]) throws {
        var problems: [(name: String, message: String)] = []
        Self.check(specs, in: values, prefix: nil, problems: &problems)
        if !problems.isEmpty { throw PortusAPIError.badParameters(problems) }
    }

    private static func check(_ specs: [ParameterSpec], in values: [String: Any], prefix: String?,
                              problems: inout [(name: String, message: String)]) {
        for spec in specs {
            let name = prefix.map { "\($0)[\(spec.name)]" } ?? spec.name
            guard let value = values[spec.name], !(value is NSNull) else {
                if spec.required { problems.append((name, "is missing")) }
                continue
            }
            switch spec.type {
            case .string: if string(value) == nil { problems.append((name, "is invalid")) }
            case .integer: if integer(value) == nil { problems.append((name, "is invalid")) }
            case .boolean: if boolean(value) == nil { problems.append((name, "is invalid")) }
            case .array: if !(value is [Any]) { problems.append((name, "is invalid")) }
            case .hash(let children):
                guard let nested = value as? [String: Any] else {
                    problems.append((name, "is invalid"))
                    continue
                }
                check(children, in: nested, prefix: name, problems: &problems)
            }
        }
    }

    /// Whether the parameter at `path` was given (null counts as not given).
    func has(_ path: String...) -> Bool { lookup(path) != nil }

    /// The value at `path` (`"user", "email"` for `user[email]`), coerced.
    func string(_ path: String...) -> String? { lookup(path).flatMap(Self.string) }
    func integer(_ path: String...) -> Int? { lookup(path).flatMap(Self.integer) }
    func boolean(_ path: String...) -> Bool? { lookup(path).flatMap(Self.boolean) }
    /// The strings of a list parameter (a single value counts as a list of one).
    func strings(_ path: String...) -> [String]? {
        guard let value = lookup(path) else { return nil }
        if let list = value as? [Any] { return list.compactMap(Self.string) }
        return Self.string(value).map { [$0] }
    }

    private func lookup(_ path: [String]) -> Any? {
        var current: Any? = values
        for key in path { current = (current as? [String: Any])?[key] }
        return current is NSNull ? nil : current
    }

    /// Whether a number decoded from JSON is a boolean (`true`/`false`).
    private static func isBoolean(_ number: NSNumber) -> Bool {
        ["c", "B"].contains(String(cString: number.objCType))
    }

    static func string(_ value: Any) -> String? {
        switch value {
        case let text as String: return text
        case let number as NSNumber: return isBoolean(number) ? (number.boolValue ? "true" : "false") : number.stringValue
        default: return nil
        }
    }

    static func integer(_ value: Any) -> Int? {
        switch value {
        case let text as String: return Int(text.trimmingCharacters(in: .whitespaces))
        case let number as NSNumber where !isBoolean(number):
            let double = number.doubleValue
            return double == double.rounded() && abs(double) < 1e15 ? Int(double) : nil
        default: return nil
        }
    }

    static func boolean(_ value: Any) -> Bool? {
        if let number = value as? NSNumber {
            if isBoolean(number) { return number.boolValue }
            return number.intValue == 1 ? true : number.intValue == 0 ? false : nil
        }
        guard let text = (value as? String)?.lowercased() else { return nil }
        if ["true", "t", "1", "yes", "y", "on"].contains(text) { return true }
        if ["false", "f", "0", "no", "n", "off"].contains(text) { return false }
        return nil
    }
}
