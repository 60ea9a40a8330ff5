#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Requests written byte for byte on a socket, for what an HTTP client library would not send.
enum RawHTTP {
    /// Sends a request whose body is cut short, then closes the connection: a client that dies mid-upload.
    static func sendTruncated(port: Int, head: String, partialBody: Data) throws {
        let fd = try connected(port: port)
        defer { close(fd) }
        let payload = Data(head.utf8) + partialBody
        _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        usleep(200_000)
    }

    /// Sends `request` and returns everything the server answers until it closes the connection (or is
    /// silent for two seconds).
    static func exchange(port: Int, _ request: Data) throws -> String {
        let fd = try connected(port: port)
        defer { close(fd) }
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer.append(contentsOf: buffer[..<count])
        }
        return String(decoding: answer, as: UTF8.self)
    }

    private static func connected(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }
}
