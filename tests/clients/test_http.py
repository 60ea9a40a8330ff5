"""HTTP details that real clients depend on."""
import socket

from conftest import USERS, basic_header


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "connection closed before a full response"
        data += chunk
    return data


def test_http10_keep_alive_is_acknowledged_and_honoured(wharf):
    """ab and other HTTP/1.0 clients reuse a connection only when the answer says keep-alive."""
    username = next(iter(USERS))
    request = (f"HEAD /v2/ HTTP/1.0\r\nHost: {wharf.host}\r\nConnection: keep-alive\r\n"
               f"Authorization: {basic_header(username, USERS[username])}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", wharf.port), timeout=5) as sock:
        for _ in range(2):
            sock.sendall(request)
            head = read_response(sock).decode("latin-1").lower()
            assert head.split("\r\n")[0].endswith("200 ok"), head
            assert "connection: keep-alive" in head, head
