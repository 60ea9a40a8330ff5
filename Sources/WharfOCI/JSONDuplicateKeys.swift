/// Finds keys that appear twice in one JSON object. Decoders disagree on such documents (Swift's keeps
/// one value, Go's the last), so a manifest that has them means different things to different clients.
public enum JSONDuplicateKeys {
    /// The first key, at any depth, that an object of `bytes` holds twice (keys compared after their
    /// escapes are decoded); nil when there is none. Malformed JSON is left to the parser to report.
    /// Iterative, so the nesting depth costs no stack.
    public static func first(in bytes: some Collection<UInt8>) -> String? {
        let bytes = Array(bytes)
        var objects: [Set<String>?] = []
        var expectKey = false
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"):
                objects.append([])
                expectKey = true
            case UInt8(ascii: "["):
                objects.append(nil)
                expectKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = objects.popLast()
                expectKey = false
            case UInt8(ascii: ","):
                expectKey = objects.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                guard let (text, end) = string(in: bytes, from: index) else { return nil }
                if expectKey, var keys = objects.last ?? nil {
                    if keys.contains(text) { return text }
                    keys.insert(text)
                    objects[objects.count - 1] = keys
                    expectKey = false
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The decoded string starting at the quote at `start`, and the index of its closing quote.
    private static func string(in bytes: [UInt8], from start: Int) -> (String, Int)? {
        var units: [UInt16] = []
        var utf8: [UInt8] = []
        var index = start + 1
        func flush() {
            units.append(contentsOf: String(decoding: utf8, as: UTF8.self).utf16)
            utf8.removeAll()
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush()
                return (String(decoding: units, as: UTF16.self), index)
            }
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { return nil }
            let escaped = bytes[index + 1]
            switch escaped {
            case UInt8(ascii: "u"):
                guard index + 5 < bytes.count, let unit = UInt16(String(decoding: bytes[(index + 2)...(index + 5)], as: UTF8.self), radix: 16) else {
                    return nil
                }
                flush()
                units.append(unit)
                index += 6
                continue
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            default: utf8.append(escaped)
            }
            index += 2
        }
        return nil
    }
}
