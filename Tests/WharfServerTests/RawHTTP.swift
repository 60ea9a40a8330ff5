#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Sends a request whose body is cut short, then closes the connection: a client that dies mid-upload.
enum RawHTTP {
    static func sendTruncated(port: Int, head: String, partialBody: Data) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let payload = Data(head.utf8) + partialBody
        _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        usleep(200_000)
    }
}
