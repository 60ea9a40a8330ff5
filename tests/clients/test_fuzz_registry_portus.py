"""Hostile input for /v2 and the Portus API (and the Quay endpoints of known crashes), over raw sockets.

The server is seeded with a user `pusher` owning the public repository pusher/pub (tags v1 and
latest), a Quay OAuth token and an application token (its Portus-Auth). Requests are sent byte
for byte as written here (odd bytes in paths and headers, wrong lengths, malformed chunked bodies),
one per connection.

- Named tests replay the inputs known to crash or break the server, one test each.
- Two generated tests draw, for every request template below, 5 × WHARF_FUZZ_EXAMPLES hostile values
  (Int64 limits and beyond, NaN/Infinity, deep nesting, 100 KiB+ strings, NUL, %00, invalid UTF-8,
  CR/LF, unicode) from a random generator seeded with WHARF_FUZZ_SEED (printed), and send each
  request anonymously and as the pusher.
- test_input_found_by_fuzzing replays what the generated tests found, one test each, so that those
  inputs fail whatever the seed.

Any 5xx (but the 501 "… not supported"), a request that killed the server, or a crash in its log
fails the test with the request and the response. A test that killed the server leaves it behind:
the next test gets a fresh one.
"""

from __future__ import annotations

import base64
import json
import random
import re
import select
import socket
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import pytest
import requests

from conftest import OCI_MANIFEST, sha256_digest
from fuzzing import (FUZZ_EXAMPLES, FUZZ_SEED, LAYER, allowed_5xx, assert_alive, crash_report, excerpt,
                     image_manifest, last_logged_error, push_image, quay, summary, wait_for_crash)
from test_identity import mint_token

PUSHER = ("pusher", "pusher-Pa55word!")
REPO = "pusher/pub"
SCOPES = ("repo:read", "repo:write", "repo:admin", "repo:create", "user:read", "user:admin")
INT64_MAX = "9223372036854775807"


# --------------------------------------------------------------------------
# Raw HTTP: every byte of the request is ours. One request a connection; our side is half-closed
# once the request is sent, so a body shorter than its Content-Length ends instead of keeping the
# server waiting.

Header = Tuple[Union[str, bytes], Union[str, bytes]]


def as_bytes(value: Union[str, bytes]) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


@dataclass
class Request:
    method: str
    target: Union[str, bytes]  # path and query, sent as given
    headers: Sequence[Header] = ()
    body: bytes = b""
    # Add `Content-Length: len(body)` unless the request sets Content-Length or Transfer-Encoding.
    auto_length: bool = True

    def wire(self, host: str) -> bytes:
        lines = [b"%s %s HTTP/1.1" % (as_bytes(self.method), as_bytes(self.target)),
                 b"Host: " + host.encode(), b"Connection: close"]
        lines += [as_bytes(name) + b": " + as_bytes(value) for name, value in self.headers]
        framed = {as_bytes(name).lower() for name, _ in self.headers} & {b"content-length", b"transfer-encoding"}
        if self.auto_length and not framed and (self.body or self.method in ("POST", "PUT", "PATCH")):
            lines.append(b"Content-Length: %d" % len(self.body))
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body

    def describe(self) -> str:
        headers = ", ".join(f"{excerpt(name, 40)}: {excerpt(value, 200)}" for name, value in self.headers)
        return f"{self.method} {excerpt(self.target, 300)} headers [{headers}] body {excerpt(self.body)}"


@dataclass
class Response:
    status: int
    headers: Dict[str, str]
    body: bytes
    complete: bool  # all of the body arrived

    def json(self):
        return json.loads(self.body)

    def describe(self) -> str:
        return f"{self.status} {excerpt(self.body)}"


def parse_response(data: bytes, method: str) -> Optional[Response]:
    head, sep, body = data.partition(b"\r\n\r\n")
    status = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    if not sep or not status:
        return None
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    code = int(status.group(1))
    if method == "HEAD" or code in (204, 304):
        return Response(code, headers, b"", True)
    if "chunked" in headers.get("transfer-encoding", ""):
        return Response(code, headers, *dechunk(body))
    length = headers.get("content-length", "")
    return Response(code, headers, body, length.isdigit() and len(body) >= int(length))


def dechunk(data: bytes) -> Tuple[bytes, bool]:
    """The body of a chunked answer so far, and whether its last chunk arrived."""
    out = b""
    while True:
        size, sep, rest = data.partition(b"\r\n")
        try:
            length = int(size.split(b";")[0], 16)
        except ValueError:
            return out, False
        if length == 0:
            return out, bool(sep)
        out, data = out + rest[:length], rest[length + 2:]


def talk(sock: socket.socket, request: Request, host: str, timeout: float) -> Optional[Response]:
    """Sends the request (stopping early when the server answers before taking all of it, as it may
    when it refuses one) and reads the answer until it is complete or the connection ends."""
    deadline = time.monotonic() + timeout
    view, data = memoryview(request.wire(host)), b""
    while view:
        readable, writable, _ = select.select([sock], [sock], [], max(deadline - time.monotonic(), 0))
        if readable or not writable:
            break  # an early answer, or a server that takes no more
        view = view[sock.send(view[:1 << 16]):]
    else:
        sock.shutdown(socket.SHUT_WR)
    resp = None
    while time.monotonic() < deadline and not (resp and resp.complete):
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        data += chunk
        resp = parse_response(data, request.method)
    return resp


class Target:
    """The seeded server under fuzzing."""

    def __init__(self, server, token: str, portus_auth: str, manifest: bytes, namespace_id: int):
        self.server = server
        self.token = token  # the pusher's Quay OAuth token
        self.portus_auth = portus_auth
        self.manifest_bytes = manifest  # of the image tagged v1 and latest in REPO
        self.digest = sha256_digest(manifest)
        self.namespace_id = namespace_id  # the pusher's namespace in the Portus API
        self.basic = "Basic " + base64.b64encode(":".join(PUSHER).encode()).decode()

    def exchange(self, request: Request, timeout: float = 30) -> Tuple[Optional[Response], Optional[str]]:
        """Sends the request: (the answer or None when the connection ended without one, why this
        fails the test or None)."""
        resp = None
        try:
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout) as sock:
                resp = talk(sock, request, self.server.host, timeout)
        except OSError:
            pass  # refused, reset or timed out: no answer
        if resp is None:
            crash = wait_for_crash(self.server)
            return None, crash and f"{request.describe()}\n→ no answer\n{crash}"
        if resp.status >= 500 and not allowed_5xx(resp.status, resp.body):
            crash = crash_report(self.server) or f"server log: {last_logged_error(self.server)}"
            return resp, f"{request.describe()}\n→ {resp.describe()}\n{crash}"
        return resp, None

    def send(self, request: Request) -> Optional[Response]:
        """Sends the request; fails the test at once on a 5xx, or on no answer from a dead server."""
        resp, problem = self.exchange(request)
        if problem:
            pytest.fail(problem, pytrace=False)
        return resp

    def expect(self, request: Request, statuses: Sequence[int]) -> Response:
        resp = self.send(request)
        if resp is None or resp.status not in statuses:
            wanted = f"{statuses.start}-{statuses.stop - 1}" if isinstance(statuses, range) else list(statuses)
            pytest.fail(f"{request.describe()}\n→ {resp.describe() if resp else 'no answer'} (expected {wanted})",
                        pytrace=False)
        return resp

    def dead(self) -> bool:
        return self.server.proc is None or self.server.proc.poll() is not None or crash_report(self.server) is not None

    def upload_path(self, auth: Sequence[Header]) -> str:
        """With the pusher's credentials a new upload session of its own in REPO, else a made-up one."""
        return self.new_upload() if auth else f"/v2/{REPO}/blobs/uploads/00000000-0000-0000-0000-000000000000"

    def new_upload(self) -> str:
        """The path (with query) of a new upload session of the pusher's in REPO."""
        resp = self.expect(Request("POST", f"/v2/{REPO}/blobs/uploads/", [("Authorization", self.basic)]), [202])
        location = urllib.parse.urlsplit(resp.headers["location"])
        return location.path + (f"?{location.query}" if location.query else "")

    def manifest(self, labels: Optional[Dict[str, str]] = None, layer: bytes = LAYER) -> bytes:
        """An image's manifest whose blobs are uploaded to REPO (not yet pushed)."""
        return image_manifest(self.server.session(*PUSHER), REPO, labels, layer)


def start_target(wharf_factory) -> Target:
    server = wharf_factory(users=dict([PUSHER]))
    token = mint_token(server, PUSHER[0], *SCOPES)
    manifest = push_image(server, *PUSHER, REPO, ["v1", "latest"])
    quay(server, token, "POST", f"/repository/{REPO}/changevisibility", json={"visibility": "public"})
    app_token = quay(server, token, "POST", "/user/apptoken", json={"title": "portus"}).json()["token"]["token_code"]
    portus_auth = f"{PUSHER[0]}:{app_token}"
    namespaces = requests.get(f"{server.url}/api/v1/namespaces", headers={"Portus-Auth": portus_auth}, timeout=30)
    assert namespaces.status_code == 200, f"seeding: Portus namespaces → {namespaces.status_code} {namespaces.text}"
    [namespace_id] = [n["id"] for n in namespaces.json() if n["name"] == PUSHER[0]]
    return Target(server, token, portus_auth, manifest, namespace_id)


@pytest.fixture(scope="module")
def targets():
    return {}


@pytest.fixture
def target(targets, wharf_factory) -> Target:
    """The module's seeded server; a new one when an earlier test killed it. Each test ends with
    assert_alive: the server must still be healthy after it."""
    if "current" not in targets or targets["current"].dead():
        targets["current"] = start_target(wharf_factory)
    return targets["current"]


# --------------------------------------------------------------------------
# The inputs known to break the server, one test each


@pytest.mark.parametrize("page", [INT64_MAX, "4611686018427387904"])
def test_quay_tag_list_huge_page_anonymous(target, page):
    request = Request("GET", f"/api/v1/repository/{REPO}/tag/?page={page}")
    target.expect(request, [200, 400])
    assert_alive(target.server, request.describe())


def test_upload_patch_content_range_to_int64_max(target):
    request = Request("PATCH", target.new_upload(), [("Authorization", target.basic), ("Content-Range", f"0-{INT64_MAX}"),
                                                     ("Content-Type", "application/octet-stream")], b"12345")
    target.expect(request, [400, 416])
    assert_alive(target.server, request.describe())


def test_portus_bootstrap_form_key_50000_levels_deep(target):
    request = Request("POST", "/api/v1/users/bootstrap", [("Content-Type", "application/x-www-form-urlencoded")],
                      b"a" + b"[b]" * 50_000 + b"=1")
    target.expect(request, range(400, 500))
    assert_alive(target.server, request.describe())


@pytest.mark.parametrize("expiration", ["1e300", INT64_MAX, "99999999999999999999"])
def test_quay_tag_expiration_beyond_int64(target, expiration):
    request = Request("PUT", f"/api/v1/repository/{REPO}/tag/v1",
                      [("Authorization", f"Bearer {target.token}"), ("Content-Type", "application/json")],
                      b'{"expiration": %s}' % expiration.encode())
    target.expect(request, [400])
    assert_alive(target.server, request.describe())


def test_quay_expires_after_label_of_int64_max_seconds_then_retag(target):
    manifest = target.manifest(layer=b"expires-after label\n")
    target.expect(Request("PUT", f"/v2/{REPO}/manifests/labelled", [("Authorization", target.basic),
                                                                    ("Content-Type", OCI_MANIFEST)], manifest), [201])
    bearer = [("Authorization", f"Bearer {target.token}"), ("Content-Type", "application/json")]
    label = Request("POST", f"/api/v1/repository/{REPO}/manifest/{sha256_digest(manifest)}/labels", bearer,
                    json.dumps({"key": "quay.expires-after", "value": f"{INT64_MAX}s", "media_type": "text/plain"}).encode())
    target.expect(label, [201, 400])
    retag = Request("PUT", f"/api/v1/repository/{REPO}/tag/retagged", bearer,
                    json.dumps({"manifest_digest": sha256_digest(manifest)}).encode())
    target.expect(retag, [201, 400])
    assert_alive(target.server, f"{label.describe()}, then {retag.describe()}")


def test_push_image_whose_config_label_expires_after_int64_max_seconds(target):
    manifest = target.manifest(labels={"quay.expires-after": f"{INT64_MAX}s"})
    request = Request("PUT", f"/v2/{REPO}/manifests/expiring", [("Authorization", target.basic), ("Content-Type", OCI_MANIFEST)],
                      manifest)
    target.expect(request, [201, 400])
    assert_alive(target.server, request.describe())


MALFORMED_CHUNKS = {
    "non-hex size": b"zz\r\nhello\r\n0\r\n\r\n",
    "negative size": b"-5\r\nhello\r\n0\r\n\r\n",
    "size overflowing 64 bits": b"1" + b"0" * 20 + b"\r\nhello\r\n0\r\n\r\n",
    "no CRLF after the data": b"5\r\nhelloXX0\r\n\r\n",
    "junk extension": b"5;\x00\x01\xff junk\r\nhello\r\n0\r\n\r\n",
}


def chunked_request(target: Target, api: str, body: bytes) -> Request:
    """A request of `api` that reads its body, with `body` as its chunked framing."""
    framing = [("Transfer-Encoding", "chunked")]
    if api == "registry":
        return Request("PATCH", target.new_upload(), [("Authorization", target.basic),
                                                      ("Content-Type", "application/octet-stream"), *framing], body)
    if api == "quay":
        return Request("PUT", f"/api/v1/repository/{REPO}", [("Authorization", f"Bearer {target.token}"),
                                                             ("Content-Type", "application/json"), *framing], body)
    return Request("POST", "/api/v1/teams", [("Portus-Auth", target.portus_auth),
                                             ("Content-Type", "application/json"), *framing], body)


@pytest.mark.parametrize("malformation", MALFORMED_CHUNKS)
@pytest.mark.parametrize("api", ["registry", "quay", "portus"])
def test_malformed_chunked_body_is_a_400(target, api, malformation):
    request = chunked_request(target, api, MALFORMED_CHUNKS[malformation])
    target.expect(request, [400])
    assert_alive(target.server, request.describe())


def test_manifest_with_duplicate_layers_key_is_manifest_invalid(target):
    # The last "layers" names a blob the registry does not have; a parser keeping the first sees none.
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    session = target.server.session(*PUSHER)
    config_digest = session.upload_blob(REPO, config)
    unknown = sha256_digest(b"a blob nobody uploaded")
    body = ('{"schemaVersion": 2, "mediaType": "%s", "config": {"mediaType": "application/vnd.oci.image.config.v1+json", '
            '"digest": "%s", "size": %d}, "layers": [], "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", '
            '"digest": "%s", "size": 22}]}' % (OCI_MANIFEST, config_digest, len(config), unknown)).encode()
    request = Request("PUT", f"/v2/{REPO}/manifests/duplicate-keys", [("Authorization", target.basic),
                                                                       ("Content-Type", OCI_MANIFEST)], body)
    resp = target.expect(request, [400])
    codes = [error.get("code") for error in resp.json().get("errors", [])]
    assert codes[:1] == ["MANIFEST_INVALID"], f"{request.describe()}\n→ {resp.describe()}"
    assert_alive(target.server, request.describe())


def test_quay_tag_filter_like_nul_is_refused(target):
    request = Request("GET", f"/api/v1/repository/{REPO}/tag/?filter_tag_name=like:%00")
    target.expect(request, [400])
    assert_alive(target.server, request.describe())


# --------------------------------------------------------------------------
# Generated hostile input

NUMBERS = [INT64_MAX.encode(), b"-9223372036854775808", b"9223372036854775808", b"4611686018427387904",
           b"18446744073709551616", b"99999999999999999999", b"1e300", b"-1e300", b"1e999", b"NaN", b"-NaN",
           b"Infinity", b"-Infinity", b"inf", b"0", b"-0", b"-1", b"1.5", b"0x7fffffffffffffff", b"00000000000000000001"]
ODD = [b"", b" ", b"\x00", b"%00", b"a\x00b", b"\xff\xfe\xfd", b"\xc0\xaf", b"\xed\xa0\x80", b"\r\n", b"\n",
       b"a\r\nX-Injected: 1", "ünïcödé ☃ 😀 \u202e\ufeff".encode(), b"..", b"../../../etc/passwd", b"%2e%2e%2f",
       b"%", b"%zz", b"*", b";", b"&", b"=", b"[]", b"\\", b"'\"", b"sha256:", b"sha256:" + b"0" * 64,
       b"sha256:" + b"G" * 64, b"sha512:" + b"f" * 128, b"md5:d41d8cd98f00b204e9800998ecf8427e", b"true", b"null"]
LONG_UNITS = [b"a", b"\xff", b"%00", "é".encode(), b"[", b"9", b"\x00"]


def hostile(rng: random.Random) -> bytes:
    """One hostile value: a number at or beyond Int64's limits, an odd string, a 100 KiB+ string, or
    JSON/form nesting 10,000+ levels deep."""
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(NUMBERS)
    if roll < 0.75:
        return rng.choice(ODD)
    if roll < 0.88:
        unit = rng.choice(LONG_UNITS)
        return unit * (rng.randint(100, 300) * 1024 // len(unit))
    depth = rng.choice([10_000, 50_000])
    return rng.choice([b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth, b"a" + b"[b]" * depth + b"=1"])


def url(value: bytes, rng: random.Random) -> str:
    """`value` for a path segment or query value: percent-encoded, sometimes leaving its own `%`
    escapes (so %00 and %zz arrive as written)."""
    return urllib.parse.quote_from_bytes(value, safe=rng.choice(["", "%"]))


def json_value(value: bytes) -> bytes:
    """`value` in a JSON document: numbers and nested JSON as they are, anything else as a string
    with only what JSON demands escaped (odd bytes stay raw)."""
    if value in NUMBERS or value[:1] in (b"[", b"{"):
        return value
    escaped = re.sub(rb'["\\\x00-\x1f]', lambda m: b"\\u%04x" % m.group()[0], value)
    return b'"' + escaped + b'"'


def json_with(template: str, value: bytes) -> bytes:
    """A JSON document written with `@` where `value` goes."""
    return template.encode().replace(b"@", json_value(value))


Template = Callable[[Target, bytes, random.Random, List[Header]], Request]


def with_query(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


def manifest_with_field(t: Target, value: bytes, rng: random.Random) -> bytes:
    """The seeded image's manifest with one of its fields set to `value`."""
    manifest = json.loads(t.manifest_bytes)
    holder, key = rng.choice([(manifest, "schemaVersion"), (manifest, "mediaType"), (manifest["config"], "digest"),
                              (manifest["config"], "size"), (manifest["layers"][0], "size"),
                              (manifest["layers"][0], "digest"), (manifest["layers"][0], "mediaType"),
                              (manifest, "annotations"), (manifest, "subject")])
    holder[key] = "@"
    return json.dumps(manifest).encode().replace(b'"@"', json_value(value))


REGISTRY: Dict[str, Template] = {
    "catalog n/last": lambda t, v, r, a: Request("GET", f"/v2/_catalog?n={url(v, r)}&last={url(v, r)}", a),
    "tag list n/last": lambda t, v, r, a: Request("GET", f"/v2/{REPO}/tags/list?n={url(v, r)}&last={url(v, r)}", a),
    "repository name": lambda t, v, r, a: Request("GET", f"/v2/{PUSHER[0]}/{url(v, r)}/manifests/v1", a),
    "manifest reference, Accept": lambda t, v, r, a: Request(
        "GET", f"/v2/{REPO}/manifests/{url(v, r)}", [*a, ("Accept", v)]),
    "blob digest": lambda t, v, r, a: Request("HEAD", f"/v2/{REPO}/blobs/{url(v, r)}", a),
    "blob Range": lambda t, v, r, a: Request(
        "GET", f"/v2/{REPO}/blobs/{sha256_digest(LAYER)}", [*a, ("Range", b"bytes=" + v + b"-" + r.choice([v, b"", b"5"]))]),
    "monolithic upload digest": lambda t, v, r, a: Request(
        "POST", f"/v2/{REPO}/blobs/uploads/?digest={url(v, r)}", a, b"12345"),
    "mount from": lambda t, v, r, a: Request("POST", f"/v2/{REPO}/blobs/uploads/?mount={url(v, r)}&from={url(v, r)}", a),
    "upload Content-Range": lambda t, v, r, a: Request(
        "PATCH", t.upload_path(a), [*a, ("Content-Range", r.choice([v, b"0-" + v, v + b"-4"]))], b"12345"),
    "upload Content-Length": lambda t, v, r, a: Request(
        "PATCH", t.upload_path(a), [*a, ("Content-Length", v)], b"12345", auto_length=False),
    "upload chunk": lambda t, v, r, a: Request(
        "PATCH", t.upload_path(a), [*a, ("Content-Type", "application/octet-stream")], v),
    "upload finish digest": lambda t, v, r, a: Request(
        "PUT", with_query(t.upload_path(a), f"digest={url(v, r)}"), a, b"12345"),
    "manifest field": lambda t, v, r, a: Request(
        "PUT", f"/v2/{REPO}/manifests/fuzz", [*a, ("Content-Type", OCI_MANIFEST)], manifest_with_field(t, v, r)),
    "manifest Content-Type": lambda t, v, r, a: Request(
        "PUT", f"/v2/{REPO}/manifests/fuzz", [*a, ("Content-Type", v)], t.manifest_bytes),
    "manifest body": lambda t, v, r, a: Request("PUT", f"/v2/{REPO}/manifests/fuzz", [*a, ("Content-Type", OCI_MANIFEST)], v),
    "manifest delete": lambda t, v, r, a: Request("DELETE", f"/v2/{REPO}/manifests/{url(v, r)}", a),
    "referrers artifactType": lambda t, v, r, a: Request(
        "GET", f"/v2/{REPO}/referrers/{t.digest}?artifactType={url(v, r)}", a),
    "token service/scope": lambda t, v, r, a: Request(
        "GET", f"/v2/auth?service={url(v, r)}&scope=repository:{url(v, r)}:pull,push", a),
    # Never the pusher's name with a wrong password: failed sign-ins slow its account down.
    "Authorization": lambda t, v, r, a: Request("GET", f"/v2/{REPO}/tags/list", [("Authorization", r.choice([
        v, b"Basic " + v, b"Bearer " + v, b"Basic " + base64.b64encode(v), b"Basic " + base64.b64encode(b"nobody:" + v),
        b"Basic " + base64.b64encode(v + b":" + v)]))]),
}

COLLECTIONS = ["users", "namespaces", "teams", "repositories", "tags", "registries"]
NESTED = ["namespaces/{}/repositories", "repositories/{}/tags", "repositories/{}/tags/grouped", "repositories/1/tags/{}",
          "teams/{}/members", "teams/{}/namespaces", "users/{}/application_tokens", "users/{}"]
# Creation endpoints and their bodies as JSON (with `@` where the value goes) and as a form.
CREATE = {
    "/api/v1/namespaces": ('{"name": @, "team": @, "description": @}', "name={0}&team={0}&description={0}"),
    "/api/v1/teams": ('{"name": @, "description": @, "owner_id": @}', "name={0}&description={0}&owner_id={0}"),
    "/api/v1/users": ('{"user": {"username": @, "email": @, "password": @, "display_name": @}}',
                      "user[username]={0}&user[email]={0}&user[password]={0}"),
    "/api/v1/users/bootstrap": ('{"user": {"username": @, "email": @, "password": @}}',
                                "user[username]={0}&user[email]={0}&user[password]={0}"),
    "/api/v1/users/1/application_tokens": ('{"application": @}', "application={0}"),
    "/api/v1/registries": ('{"registry": {"name": @, "hostname": @, "use_ssl": @}}',
                           "registry[name]={0}&registry[hostname]={0}&registry[use_ssl]={0}"),
    "/api/v1/teams/1/members": ('{"user": @, "role": @}', "user={0}&role={0}"),
    "/api/v1/vulnerabilities/1": ('{"id": @}', "id={0}"),
}
JSON = ("Content-Type", "application/json")
FORM = ("Content-Type", "application/x-www-form-urlencoded")


def create(t: Target, value: bytes, rng: random.Random, auth: List[Header], form: bool) -> Request:
    path = rng.choice(sorted(CREATE))
    as_json, as_form = CREATE[path]
    if form:
        return Request("POST", path, [*auth, FORM], as_form.format(url(value, rng)).encode())
    return Request("POST", path, [*auth, JSON], json_with(as_json, value))


PORTUS: Dict[str, Template] = {
    "list page/per_page": lambda t, v, r, a: Request(
        "GET", f"/api/v1/{r.choice(COLLECTIONS)}?page={url(v, r)}&per_page={url(v, r)}", a),
    "list sort_attr/sort_order": lambda t, v, r, a: Request(
        "GET", f"/api/v1/{r.choice(COLLECTIONS)}?sort_attr={url(v, r)}&sort_order={url(v, r)}", a),
    "id": lambda t, v, r, a: Request("GET", f"/api/v1/{r.choice(COLLECTIONS)}/{url(v, r)}", a),
    "nested id": lambda t, v, r, a: Request("GET", "/api/v1/" + r.choice(NESTED).format(url(v, r)), a),
    "validate": lambda t, v, r, a: Request("GET", r.choice([
        f"/api/v1/namespaces/validate?name={url(v, r)}",
        f"/api/v1/registries/validate?name={url(v, r)}&hostname={url(v, r)}&use_ssl={url(v, r)}"]), a),
    "JSON fields": lambda t, v, r, a: create(t, v, r, a, form=False),
    "form fields": lambda t, v, r, a: create(t, v, r, a, form=True),
    "raw body": lambda t, v, r, a: Request("POST", r.choice(sorted(CREATE)), [*a, r.choice([JSON, FORM])], v),
    "query as parameters": lambda t, v, r, a: Request(
        "GET", "/api/v1/users?" + urllib.parse.quote_from_bytes(v, safe="[]=&%"), a),
    "namespace update": lambda t, v, r, a: Request(
        "PUT", f"/api/v1/namespaces/{t.namespace_id}", [*a, JSON], json_with('{"namespace": {"description": @}}', v)),
    "status headers": lambda t, v, r, a: Request("GET", r.choice(["/api/v1/health", "/api/v1/_ping", "/api/version"]),
                                                 [*a, (r.choice(["Accept", "Content-Type", "Content-Length"]), v)]),
    # Never the pusher's name with a wrong token: failed sign-ins slow its account down.
    "Portus-Auth": lambda t, v, r, a: Request("GET", "/api/v1/namespaces", [("Portus-Auth", r.choice([
        v, b"nobody:" + v, v + b":" + v, b":" + v]))]),
}


# Generated values per template: raw requests are cheap next to Schemathesis's examples.
CASES = 5 * FUZZ_EXAMPLES


def generated(target: Target, templates: Dict[str, Template], credentials: Header):
    """(template, what, request) for CASES values of each template, each request sent anonymously
    and then with the pusher's `credentials`; reproducible from WHARF_FUZZ_SEED."""
    for name, template in templates.items():
        rng = random.Random(f"{FUZZ_SEED}/{name}")
        for case in range(CASES):
            value, state = hostile(rng), rng.getstate()
            for who, auth in (("anonymous", []), ("pusher", [credentials])):
                rng.setstate(state)  # the same request but for its credentials
                yield name, f"{name}, case {case}, {who}", template(target, value, rng, auth)


def fuzz(target: Target, api: str, templates: Dict[str, Template], credentials: Header, capsys) -> None:
    """Sends the generated requests; fails with every distinct failure (template and status) at
    the end, or once the server died."""
    failures: Dict[Tuple[str, str], str] = {}
    sent = 0
    for name, what, request in generated(target, templates, credentials):
        resp, problem = target.exchange(request)
        sent += 1
        if problem:
            failures.setdefault((name, str(resp.status) if resp else "no answer"), f"[{what}] {problem}")
        if target.dead():
            break
    summary(capsys, f"FUZZ {api}: templates={len(templates)} requests={sent} failures={len(failures)} "
                    f"(WHARF_FUZZ_SEED={FUZZ_SEED} WHARF_FUZZ_EXAMPLES={FUZZ_EXAMPLES})")
    if failures:
        pytest.fail(f"generated {api} requests (WHARF_FUZZ_SEED={FUZZ_SEED}):\n" + "\n\n".join(failures.values()),
                    pytrace=False)
    assert_alive(target.server, f"the generated {api} requests")


def test_generated_registry_requests(target, capsys):
    fuzz(target, "registry", REGISTRY, ("Authorization", target.basic), capsys)


def test_generated_portus_requests(target, capsys):
    fuzz(target, "portus", PORTUS, ("Portus-Auth", target.portus_auth), capsys)


# --------------------------------------------------------------------------
# Inputs the generated tests found: one test each, so that they fail whatever the seed.

FOUND: Dict[str, Callable[[Target], Request]] = {
    "token scope with a blank repository name": lambda t: Request("GET", "/v2/auth?service=x&scope=repository:%20:pull"),
    "Portus form body '='": lambda t: Request("POST", "/api/v1/users/bootstrap", [FORM], b"="),
    "upload PATCH with Content-Length 2^63": lambda t: Request(
        "PATCH", t.new_upload(), [("Authorization", t.basic), ("Content-Length", "9223372036854775808")], b"12345",
        auto_length=False),
    "Portus GET with Content-Length 2^62": lambda t: Request("GET", "/api/v1/_ping", [("Content-Length", "4611686018427387904")]),
    "Quay body shorter than its Content-Length": lambda t: Request(
        "PUT", f"/api/v1/repository/{REPO}", [("Authorization", f"Bearer {t.token}"), JSON, ("Content-Length", "100")],
        b"{}", auto_length=False),
    # NUL in text the database compares or stores (PostgreSQL refuses it in text).
    "NUL in the tag list's last": lambda t: Request("GET", f"/v2/{REPO}/tags/list?n=5&last=a%00b"),
    "NUL in a Basic user name": lambda t: Request(
        "GET", f"/v2/{REPO}/tags/list", [("Authorization", "Basic " + base64.b64encode(b"a\0b:secret").decode())]),
    "NUL in a referrers artifactType": lambda t: Request("GET", f"/v2/{REPO}/referrers/{t.digest}?artifactType=%00"),
    "NUL in a Quay search": lambda t: Request("GET", "/api/v1/find/all?query=a%00b"),
    "NUL in a Quay repository list's namespace": lambda t: Request("GET", "/api/v1/repository?namespace=a%00b"),
    "NUL in a Quay entity search's namespace": lambda t: Request(
        "GET", "/api/v1/entities/pus?namespace=a%00b", [("Authorization", f"Bearer {t.token}")]),
    "NUL in a Quay log aggregation's performer": lambda t: Request(
        "GET", "/api/v1/user/aggregatelogs?performer=a%00b", [("Authorization", f"Bearer {t.token}")]),
    "NUL in a Quay star's repository": lambda t: Request(
        "POST", "/api/v1/user/starred", [("Authorization", f"Bearer {t.token}"), JSON],
        b'{"namespace": "pusher", "repository": "a\\u0000b"}'),
    "NUL in a Portus user id": lambda t: Request("GET", "/api/v1/users/a%00b"),
    "NUL in a Portus namespace's fields": lambda t: Request(
        "POST", "/api/v1/namespaces", [("Portus-Auth", t.portus_auth), FORM], b"name=a%00b&team=a%00b&description=a%00b"),
    "NUL in a Portus namespace validation": lambda t: Request(
        "GET", "/api/v1/namespaces/validate?name=a%00b", [("Portus-Auth", t.portus_auth)]),
    "NUL in a Portus application token name": lambda t: Request(
        "POST", f"/api/v1/users/{t.namespace_id}/application_tokens", [("Portus-Auth", t.portus_auth), JSON],
        b'{"application": "a\\u0000b"}'),
    "NUL in a Portus namespace description": lambda t: Request(
        "PUT", f"/api/v1/namespaces/{t.namespace_id}", [("Portus-Auth", t.portus_auth), JSON],
        b'{"namespace": {"description": "\\u0000"}}'),
}


@pytest.mark.parametrize("name", FOUND)
def test_input_found_by_fuzzing(target, name):
    request = FOUND[name](target)
    target.expect(request, range(200, 500))
    assert_alive(target.server, request.describe())
