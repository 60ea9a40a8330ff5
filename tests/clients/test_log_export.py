"""Quay's log export with a callback, through skopeo, the Quay API and a callback receiver.

A server that may call 127.0.0.1 back (`OUTBOUND_ALLOWED_HOSTS: ["127.0.0.1"]`) gets real log
entries: skopeo pushes and pulls `alice/exported:v1` and pushes into an organization, the Quay API
creates and deletes a tag. Exports of the repository's, the organization's and the user's logs are
then queued with a `callback_url` pointing at an HTTP receiver run here, on a loopback port. The
worker posts the outcome there; the document it names is fetched and checked against the log
entries the API lists.

Refusals: a callback to a loopback host that is not allowed (on a server without the allow-list, or
`localhost` when only `127.0.0.1` is allowed) is never called, although the export itself is
carried out, nor reached through a redirect from an allowed host; bad callback URLs and e-mail addresses are 400; anonymous callers get 401 and callers
without the admin right (or without the token scope) 403.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional

import pytest
import requests

from conftest import USERS, WharfServer, build_image, describe, read_layout
from test_identity import api, mint_token
from test_skopeo import ALICE, creds, push

REPO = "alice/exported"
ORG = "exportorg"
ORG_REPO = f"{ORG}/app"
ALL_SCOPES = ("repo:read", "repo:write", "repo:admin", "repo:create", "user:admin", "org:admin")
ALLOW_LOOPBACK = {"OUTBOUND_ALLOWED_HOSTS": ["127.0.0.1"]}

CALLBACK_FIELDS = {"export_id", "start_time", "end_time", "namespace", "repository", "exported_data_url", "status"}
DETAIL_FIELDS = {"start_time", "end_time", "namespace", "repository"}
ENTRY_FIELDS = {"kind", "metadata", "ip", "datetime", "performer"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Registry pulls and pushes reach the log when the server flushes its buffer (every ~5 s); the
# export worker looks for queued exports every ~2 s. Generous deadlines for a loaded machine.
DEADLINE = 60.0
FLUSH_INTERVAL = 5.0


# --------------------------------------------------------------------------
# the callback receiver


class CallbackReceiver:
    """An HTTP server on 127.0.0.1 (a free port) that records every request (method, path, content
    type, body) and answers 200, or a redirect for the paths in `redirects`."""

    def __init__(self) -> None:
        self.posts: List[dict] = []
        self.redirects: Dict[str, tuple[int, str]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's names)
                self.do_POST()

            def do_PUT(self):  # noqa: N802
                self.do_POST()

            def do_POST(self):  # noqa: N802
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        body += self.rfile.read(size)
                        self.rfile.readline()
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.posts.append({"method": self.command, "path": self.path,
                                           "content_type": self.headers.get("Content-Type"), "body": body})
                    redirect = receiver.redirects.get(self.path)
                if redirect:
                    self.send_response(redirect[0])
                    self.send_header("Location", redirect[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="callback-receiver", daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def redirect(self, path: str, status: int, location: str) -> None:
        with self.lock:
            self.redirects[path] = (status, location)

    def received(self, path: str) -> List[dict]:
        with self.lock:
            return [post for post in self.posts if post["path"] == path]

    def wait_for(self, path: str, timeout: float = DEADLINE) -> dict:
        """The first POST to `path`, waiting for it until the deadline."""
        posts = wait_until(f"a callback POST to {path}", lambda: self.received(path), timeout)
        return posts[0]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


# --------------------------------------------------------------------------
# helpers


def wait_until(what: str, probe: Callable[[], object], timeout: float = DEADLINE, interval: float = 0.25):
    """Polls `probe` until it returns something truthy (returned), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def window() -> tuple[dict, datetime, datetime]:
    """Query parameters covering today (UTC) in Quay's `%m/%d/%Y`, and the instants the server makes
    of them: midnight of the start day, and midnight after the (inclusive) end day. The window starts
    the day before so that a run crossing midnight UTC keeps its entries."""
    today = datetime.now(timezone.utc).date()
    start = today - timedelta(days=1)
    params = {"starttime": start.strftime("%m/%d/%Y"), "endtime": today.strftime("%m/%d/%Y")}
    start_at = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    end_at = datetime(today.year, today.month, today.day, tzinfo=timezone.utc) + timedelta(days=1)
    return params, start_at, end_at


def rfc2822(moment: datetime) -> str:
    """A time as Quay writes it (UTC as `-0000`)."""
    return moment.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S -0000")


def parse_date(text: str) -> datetime:
    return parsedate_to_datetime(text).replace(tzinfo=timezone.utc)


def listed_logs(server: WharfServer, token: str, path: str, params: dict) -> List[dict]:
    """Every entry of a log listing (`path` is `/repository/<repo>/logs` …), following `next_page`."""
    entries: List[dict] = []
    query = dict(params)
    for _ in range(100):
        resp = api(server, token, "GET", path, params=query)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        entries += body["logs"]
        if not body.get("next_page"):
            return entries
        query["next_page"] = body["next_page"]
    pytest.fail(f"{path}: more than 100 pages")


def kinds(entries: List[dict]) -> set:
    return {entry["kind"] for entry in entries}


def of_kind(entries: List[dict], kind: str) -> List[dict]:
    return [entry for entry in entries if entry["kind"] == kind]


def queue_export(server: WharfServer, token: Optional[str], path: str, body: dict, params: Optional[dict] = None):
    """POST `path` (`/repository/<repo>/exportlogs` …) with `body`, as `token`'s owner or anonymously."""
    params = params if params is not None else window()[0]
    if token is None:
        return requests.post(f"{server.url}/api/v1{path}", params=params, json=body, timeout=30)
    return api(server, token, "POST", path, params=params, json=body)


def queued_id(resp: requests.Response) -> str:
    assert resp.status_code == 200, (resp.status_code, resp.text)
    body = resp.json()
    assert set(body) == {"export_id"}, body
    assert UUID.match(body["export_id"]), body
    return body["export_id"]


def export_row(server: WharfServer, export_id: str) -> Optional[Dict[str, str]]:
    """The export's row in the database (status and file key): Quay's API has no way to read an
    export's state, and a refused callback leaves no other trace a client can see."""
    assert UUID.match(export_id), export_id  # interpolated below
    sql = f"SELECT status, file_key FROM log_export WHERE uuid = '{export_id}'"
    if server.database:
        out = server.database.query(sql)
        if not out:
            return None
        status, file_key = out.splitlines()[0].split("|")
    else:
        con = sqlite3.connect(f"file:{server.data_dir / 'wharf.db'}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute(sql).fetchone()
        finally:
            con.close()
        if row is None:
            return None
        status, file_key = row
    return {"status": status, "file_key": file_key}


def assert_api_error(resp: requests.Response, status: int, error_type: str, message: Optional[str] = None) -> None:
    """Quay's ApiError problem document."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert body["status"] == status, body
    assert body["error_type"] == body["title"] == error_type, body
    assert body["type"].endswith(f"/api/v1/error/{error_type}"), body
    if message is not None:
        assert body["error_message"] == body["detail"] == message, body


def fetch_export(callback: dict, export_id: str, server: WharfServer) -> dict:
    """Checks the callback POST's JSON as the worker sends it and fetches the document it names."""
    assert callback["content_type"] == "application/json", callback
    body = json.loads(callback["body"])
    assert set(body) == CALLBACK_FIELDS, body
    assert body["export_id"] == export_id, body
    assert body["status"] == "success", body
    url = body["exported_data_url"]
    assert re.fullmatch(rf"http://{re.escape(server.host)}/exportedlogs/{export_id}-[0-9A-Za-z-]+", url), body
    resp = requests.get(url, timeout=30)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
    assert "attachment" in resp.headers.get("Content-Disposition", ""), resp.headers
    document = resp.json()
    return {"callback": body, "document": document}


def assert_document(document: dict, export_id: str, details: dict, start_at: datetime, end_at: datetime) -> List[dict]:
    """Quay's export document: `export_id`, `details`, the entries (log views without `namespace`),
    and `{"terminator": true}` last; the entries, all within the window."""
    assert set(document) == {"export_id", "details", "logs"}, document
    assert document["export_id"] == export_id, document
    assert document["details"] == details, document["details"]
    logs = document["logs"]
    assert isinstance(logs, list) and logs, document
    assert logs[-1] == {"terminator": True}, logs[-1]
    entries = logs[:-1]
    for entry in entries:
        assert "terminator" not in entry, entry
        assert "namespace" not in entry, entry
        assert set(entry) in (ENTRY_FIELDS, ENTRY_FIELDS - {"performer"}), entry
        assert isinstance(entry["metadata"], dict), entry
        assert start_at <= parse_date(entry["datetime"]) < end_at, (entry, start_at, end_at)
    return entries


def comparable(entries: List[dict]) -> List[str]:
    """The entries (but the exports' own), as sorted JSON texts, to compare two lists of log views."""
    return sorted(json.dumps(entry, sort_keys=True) for entry in entries if not entry["kind"].startswith("export_logs_"))


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def receiver():
    r = CallbackReceiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def exporting(wharf_factory, skopeo, tmp_path_factory):
    """A server that may call 127.0.0.1 back, with alice's image pushed (into her namespace and into
    her organization), pulled, tagged `v2` through the API and untagged; the registry's entries flushed."""
    server = wharf_factory(users={name: USERS[name] for name in ("alice", "bob")}, extra_config=ALLOW_LOOPBACK)
    token = mint_token(server, "alice", *ALL_SCOPES)
    created = api(server, token, "POST", "/organization/", json={"name": ORG, "email": f"{ORG}@example.com"})
    assert created.status_code == 201, created.text

    work = tmp_path_factory.mktemp("log-export")
    layout = work / "layout"
    image = build_image(work, layout, "v1", [{"export.txt": b"an image whose logs are exported\n"}])
    for dest in (f"{REPO}:v1", f"{ORG_REPO}:latest"):
        proc = push(skopeo, server, layout, "v1", dest, "--dest-creds", creds(ALICE))
        assert proc.returncode == 0, describe(proc)
    pulled = work / "pulled"
    proc = skopeo("copy", "--src-tls-verify=false", "--src-creds", creds(ALICE),
                  f"docker://{server.host}/{REPO}:v1", f"oci:{pulled}:v1")
    assert proc.returncode == 0, describe(proc)
    assert read_layout(pulled, "v1")["digest"] == image["digest"]

    tagged = api(server, token, "PUT", f"/repository/{REPO}/tag/v2", json={"manifest_digest": image["digest"]})
    assert tagged.status_code == 201, tagged.text
    untagged = api(server, token, "DELETE", f"/repository/{REPO}/tag/v2")
    assert untagged.status_code == 204, untagged.text

    # The registry's pull and push entries are written by the server's periodic flush: wait for them,
    # then for a whole flush interval without new entries, so that the exports and the listings they
    # are compared with see the same entries.
    params = window()[0]
    wait_until("push_repo and pull_repo in the repository's log",
               lambda: {"push_repo", "pull_repo"} <= kinds(listed_logs(server, token, f"/repository/{REPO}/logs", params)))
    wait_until("push_repo in the organization's log",
               lambda: "push_repo" in kinds(listed_logs(server, token, f"/organization/{ORG}/logs", params)))

    def snapshot():
        return [comparable(listed_logs(server, token, path, params)) for path in ("/user/logs", f"/organization/{ORG}/logs")]

    last = snapshot()

    def settled():
        nonlocal last
        time.sleep(FLUSH_INTERVAL + 1)
        now, last = last, snapshot()
        return now == last

    wait_until("the registry's log entries to be all flushed", settled)
    return {"server": server, "token": token, "image": image}


@pytest.fixture(scope="module")
def plain(wharf_factory):
    """A server with the default outbound policy (no loopback callbacks), with a repository of alice's."""
    server = wharf_factory(users={"alice": USERS["alice"]})
    token = mint_token(server, "alice", *ALL_SCOPES)
    created = api(server, token, "POST", "/repository",
                  json={"namespace": "alice", "repository": "quiet", "visibility": "private", "description": ""})
    assert created.status_code == 201, created.text
    return {"server": server, "token": token}


# --------------------------------------------------------------------------
# exports that call back


def test_repository_export_calls_back_with_the_document(exporting, receiver):
    server, token, image = exporting["server"], exporting["token"], exporting["image"]
    params, start_at, end_at = window()
    callback_url = receiver.url("/hooks/repository-export")
    export_id = queued_id(queue_export(server, token, f"/repository/{REPO}/exportlogs", {"callback_url": callback_url}, params))

    callback = receiver.wait_for("/hooks/repository-export")
    fetched = fetch_export(callback, export_id, server)
    details = {"start_time": rfc2822(start_at), "end_time": rfc2822(end_at), "namespace": "alice", "repository": "exported"}
    # The callback carries the export's window and names as the document's details do.
    assert {key: fetched["callback"][key] for key in DETAIL_FIELDS} == details, fetched["callback"]
    entries = assert_document(fetched["document"], export_id, details, start_at, end_at)

    # The actions done on the repository, with Quay's kinds, all by alice.
    assert {"create_repo", "push_repo", "pull_repo", "create_tag", "delete_tag"} <= kinds(entries), kinds(entries)
    assert not of_kind(entries, "org_create"), "an organization's entry in a repository's export"
    for kind in ("create_repo", "push_repo", "pull_repo", "create_tag", "delete_tag"):
        for entry in of_kind(entries, kind):
            assert entry["performer"]["name"] == "alice", entry
            assert entry["performer"]["is_robot"] is False, entry
    pushes = of_kind(entries, "push_repo")
    assert any(e["metadata"].get("tag") == "v1" and e["metadata"].get("manifest_digest") == image["digest"]
               and e["metadata"].get("repo") == "exported" and e["metadata"].get("namespace") == "alice" for e in pushes), pushes
    pulls = of_kind(entries, "pull_repo")
    assert any(e["metadata"].get("tag") == "v1" and e["metadata"].get("repo") == "exported" for e in pulls), pulls
    [created] = of_kind(entries, "create_tag")
    assert (created["metadata"]["tag"], created["metadata"]["manifest_digest"]) == ("v2", image["digest"]), created
    [deleted] = of_kind(entries, "delete_tag")
    assert (deleted["metadata"]["tag"], deleted["metadata"]["manifest_digest"]) == ("v2", image["digest"]), deleted
    # Nothing of the organization's repository, which has the same image.
    assert all(e["metadata"].get("repo") in (None, "exported") for e in entries), entries

    # The document holds exactly the entries the repository's log lists for the same window.
    listed = listed_logs(server, token, f"/repository/{REPO}/logs", params)
    assert comparable(entries) == comparable(listed)
    # …and the queued export is itself logged, with its id and callback.
    [logged] = [e for e in of_kind(listed, "export_logs_success") if e["metadata"].get("export_id") == export_id]
    assert logged["metadata"].get("url") == callback_url, logged
    assert logged["performer"]["name"] == "alice", logged

    # One callback, and the file's secret half is what makes its URL work.
    time.sleep(0.5)
    assert len(receiver.received("/hooks/repository-export")) == 1
    for wrong in (f"{export_id}-00000000-0000-0000-0000-000000000000", export_id):
        assert requests.get(f"{server.url}/exportedlogs/{wrong}", timeout=30).status_code == 404


def test_organization_export_calls_back(exporting, receiver):
    server, token, image = exporting["server"], exporting["token"], exporting["image"]
    params, start_at, end_at = window()
    export_id = queued_id(queue_export(server, token, f"/organization/{ORG}/exportlogs",
                                       {"callback_url": receiver.url("/hooks/organization-export")}, params))
    fetched = fetch_export(receiver.wait_for("/hooks/organization-export"), export_id, server)
    details = {"start_time": rfc2822(start_at), "end_time": rfc2822(end_at), "namespace": ORG, "repository": None}
    assert {key: fetched["callback"][key] for key in DETAIL_FIELDS} == details, fetched["callback"]
    entries = assert_document(fetched["document"], export_id, details, start_at, end_at)

    assert {"org_create", "create_repo", "push_repo"} <= kinds(entries), kinds(entries)
    pushes = of_kind(entries, "push_repo")
    assert any(e["metadata"].get("repo") == "app" and e["metadata"].get("namespace") == ORG
               and e["metadata"].get("tag") == "latest" and e["metadata"].get("manifest_digest") == image["digest"]
               for e in pushes), pushes
    # alice's own repository is in her namespace, not the organization's.
    assert all(e["metadata"].get("repo") != "exported" for e in entries), entries
    assert comparable(entries) == comparable(listed_logs(server, token, f"/organization/{ORG}/logs", params))


def test_user_export_calls_back(exporting, receiver):
    server, token = exporting["server"], exporting["token"]
    params, start_at, end_at = window()
    export_id = queued_id(queue_export(server, token, "/user/exportlogs",
                                       {"callback_url": receiver.url("/hooks/user-export")}, params))
    fetched = fetch_export(receiver.wait_for("/hooks/user-export"), export_id, server)
    details = {"start_time": rfc2822(start_at), "end_time": rfc2822(end_at), "namespace": "alice", "repository": None}
    assert {key: fetched["callback"][key] for key in DETAIL_FIELDS} == details, fetched["callback"]
    entries = assert_document(fetched["document"], export_id, details, start_at, end_at)

    assert {"create_repo", "push_repo", "pull_repo", "create_tag", "delete_tag"} <= kinds(entries), kinds(entries)
    # The namespace's entries only: the organization's are in its own log.
    assert not of_kind(entries, "org_create"), entries
    assert all(e["metadata"].get("repo") != "app" for e in entries), entries
    assert comparable(entries) == comparable(listed_logs(server, token, "/user/logs", params))


# --------------------------------------------------------------------------
# refusals


def test_loopback_callback_refused_without_the_allow_list(plain, receiver):
    """The API queues the export; the worker carries it out but does not call the loopback URL."""
    server, token = plain["server"], plain["token"]
    path = "/hooks/not-allowed"
    callback_url = receiver.url(path)
    export_id = queued_id(queue_export(server, token, "/repository/alice/quiet/exportlogs", {"callback_url": callback_url}))

    # The worker finishes the export (its document is written)…
    row = wait_until("the export to be carried out",
                     lambda: (lambda r: r if r and r["status"] not in ("queued", "running") else None)(export_row(server, export_id)))
    assert row["status"] == "success", row
    # …and refuses the callback, saying so in the server's log, without any request to the receiver.
    wait_until("the refused callback in the server log",
               lambda: "log export callback refused" in server.log_path.read_text(errors="replace")
               and callback_url in server.log_path.read_text(errors="replace"))
    time.sleep(1)
    assert receiver.received(path) == [], receiver.received(path)

    # The document exists all the same (only its URL, which the callback would carry, is unknown).
    resp = requests.get(f"{server.url}/exportedlogs/{export_id}-{row['file_key']}", timeout=30)
    assert resp.status_code == 200, resp.text
    document = resp.json()
    assert document["export_id"] == export_id and document["logs"][-1] == {"terminator": True}, document
    assert document["details"]["repository"] == "quiet", document
    assert "create_repo" in kinds(document["logs"][:-1]), document


def test_allow_list_is_per_host(exporting, receiver):
    """Only `127.0.0.1` is allowed: `localhost`, which resolves to a loopback address too, is refused."""
    server, token = exporting["server"], exporting["token"]
    path = "/hooks/localhost"
    callback_url = receiver.url(path, host="localhost")
    export_id = queued_id(queue_export(server, token, f"/repository/{REPO}/exportlogs", {"callback_url": callback_url}))
    row = wait_until("the export to be carried out",
                     lambda: (lambda r: r if r and r["status"] not in ("queued", "running") else None)(export_row(server, export_id)))
    assert row["status"] == "success", row
    wait_until("the refused callback in the server log",
               lambda: callback_url in server.log_path.read_text(errors="replace"))
    assert "log export callback refused" in server.log_path.read_text(errors="replace")
    time.sleep(1)
    assert receiver.received(path) == []


@pytest.mark.parametrize("status", [307, 302])
def test_redirect_to_a_refused_host_is_not_followed(exporting, receiver, status):
    """The allowed callback host answers with a redirect to `localhost`, which the policy refuses (see
    above): the worker must not reach it through the redirect, whatever it does with the answer."""
    server, token = exporting["server"], exporting["token"]
    path, target = f"/hooks/redirect-{status}", f"/hooks/redirected-{status}"
    receiver.redirect(path, status, receiver.url(target, host="localhost"))
    export_id = queued_id(queue_export(server, token, f"/repository/{REPO}/exportlogs", {"callback_url": receiver.url(path)}))
    first = receiver.wait_for(path)
    assert first["method"] == "POST" and json.loads(first["body"])["export_id"] == export_id, first
    # A followed redirect comes right after the first answer; give it ample time to show.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not receiver.received(target):
        time.sleep(0.1)
    assert receiver.received(target) == [], (
        f"the export worker followed a {status} redirect from an allowed callback host to localhost, which "
        f"OUTBOUND_ALLOWED_HOSTS does not allow: {receiver.received(target)}")


@pytest.mark.parametrize("body, message", [
    ({"callback_url": "ftp://127.0.0.1/logs"}, "Invalid callback URL"),
    ({"callback_url": "127.0.0.1/logs"}, "Invalid callback URL"),
    ({"callback_email": "not-an-address"}, "Invalid callback e-mail"),
])
def test_invalid_callback_is_400_and_logged(exporting, body, message):
    server, token = exporting["server"], exporting["token"]
    resp = queue_export(server, token, f"/repository/{REPO}/exportlogs", body)
    assert_api_error(resp, 400, "invalid_request", message)
    failures = of_kind(listed_logs(server, token, f"/repository/{REPO}/logs", window()[0]), "export_logs_failure")
    assert any(e["metadata"].get("error") == message for e in failures), failures


def test_end_before_start_is_400(exporting):
    server, token = exporting["server"], exporting["token"]
    resp = queue_export(server, token, f"/repository/{REPO}/exportlogs", {},
                        params={"starttime": "12/31/2024", "endtime": "01/01/2024"})
    assert resp.status_code == 400, resp.text


def test_anonymous_caller_gets_401(exporting, receiver):
    server = exporting["server"]
    path = "/hooks/anonymous"
    for endpoint in (f"/repository/{REPO}/exportlogs", f"/organization/{ORG}/exportlogs", "/user/exportlogs"):
        resp = queue_export(server, None, endpoint, {"callback_url": receiver.url(path)})
        assert_api_error(resp, 401, "invalid_token")
    # An unknown bearer token is no better.
    resp = requests.post(f"{server.url}/api/v1/repository/{REPO}/exportlogs", params=window()[0],
                         json={"callback_url": receiver.url(path)}, headers={"Authorization": "Bearer " + "x" * 40}, timeout=30)
    assert_api_error(resp, 401, "invalid_token")
    time.sleep(3)  # longer than the worker's interval: nothing was queued, so nothing calls back
    assert receiver.received(path) == []


def test_non_admin_caller_gets_403(exporting, receiver):
    server, token = exporting["server"], exporting["token"]
    path = "/hooks/non-admin"
    body = {"callback_url": receiver.url(path)}
    bob = mint_token(server, "bob", *ALL_SCOPES)

    # No right at all on alice's private repository or on her organization.
    assert_api_error(queue_export(server, bob, f"/repository/{REPO}/exportlogs", body), 403, "insufficient_scope", "Unauthorized")
    assert_api_error(queue_export(server, bob, f"/organization/{ORG}/exportlogs", body), 403, "insufficient_scope", "Unauthorized")
    # Write access is not admin.
    granted = api(server, token, "PUT", f"/repository/{REPO}/permissions/user/bob", json={"role": "write"})
    assert granted.status_code == 200, granted.text
    assert_api_error(queue_export(server, bob, f"/repository/{REPO}/exportlogs", body), 403, "insufficient_scope", "Unauthorized")
    # alice herself, with a token lacking the admin scopes.
    reader = mint_token(server, "alice", "repo:read")
    for endpoint in (f"/repository/{REPO}/exportlogs", f"/organization/{ORG}/exportlogs", "/user/exportlogs"):
        assert_api_error(queue_export(server, reader, endpoint, body), 403, "insufficient_scope")
    time.sleep(3)
    assert receiver.received(path) == []
