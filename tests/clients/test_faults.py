"""Faults end in a clear answer and cost nothing: silent clients, a full disk, a database outage, a
shutdown during an upload, a crash's leftovers, and startup errors.

Each test runs a real `wharf serve` and makes the fault for real: idle sockets, a small tmpfs mounted
under the data directory (root only, as in CI), a private PostgreSQL server stopped and started again,
SIGTERM during a slow upload, files left on disk as a crash leaves them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

from conftest import REPO_ROOT, USERS, WharfServer, assert_oci_error, describe, free_port, run, sha256_digest, wharf_bin

ALICE = ("alice", USERS["alice"])


def alice_session(server):
    return server.session(*ALICE)


def start_upload(session, repo: str) -> str:
    resp = session.request("POST", f"/v2/{repo}/blobs/uploads/")
    assert resp.status_code == 202, f"upload start: {resp.status_code} {resp.text}"
    location = resp.headers["Location"]
    return location if location.startswith("http") else session.server.url + location


def log_lines(server, pattern: str) -> list:
    text = server.log_path.read_text(errors="replace")
    return [line for line in text.splitlines() if re.search(pattern, line)]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closes the connection within `timeout` seconds (reads until EOF)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
        return True
    except socket.timeout:
        return False
    except OSError:
        return True


# --------------------------------------------------------------------------
# silent clients


def test_silent_connections_are_cut_off_and_the_server_keeps_answering(wharf_factory):
    server = wharf_factory(users=dict([ALICE]), extra_config={
        "HTTP_HEADER_TIMEOUT_SEC": 1, "HTTP_BODY_IDLE_TIMEOUT_SEC": 1, "HTTP_KEEPALIVE_TIMEOUT_SEC": 2,
        "HTTP_MAX_CONNECTIONS": 20,
    })
    host, port = "127.0.0.1", server.port

    # More silent connections than the limit: the server keeps answering, and cuts them off.
    silent = [socket.create_connection((host, port)) for _ in range(40)]
    started = time.monotonic()
    resp = requests.get(server.url + "/v2/", timeout=10)
    assert resp.status_code == 401, resp.text
    assert time.monotonic() - started < 8
    for sock in silent[:20]:
        assert closed_by_server(sock, 5), "a connection that sent nothing was not closed"
    for sock in silent:
        sock.close()
    assert log_lines(server, "connection limit reached"), server.log_tail()

    # A head that never ends.
    partial = socket.create_connection((host, port))
    partial.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert closed_by_server(partial, 5), "a connection with a half-sent head was not closed"

    # A body shorter than its Content-Length: cut off after the body's idle timeout, and the upload keeps
    # none of the bytes of that request.
    session = alice_session(server)
    location = start_upload(session, "alice/silent")
    token = session.tokens[next(iter(session.tokens))]
    path = urllib.parse.urlsplit(location).path
    short = socket.create_connection((host, port))
    short.sendall((f"PATCH {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                   "Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n").encode() + b"x" * 10)
    assert closed_by_server(short, 5), "a body shorter than its Content-Length held the connection"
    status = session.get(location)
    assert status.status_code == 204 and status.headers["Range"] == "0-0", (status.status_code, status.headers)

    # An idle keep-alive connection is closed after the keep-alive timeout, not before the header timeout.
    idle = socket.create_connection((host, port))
    idle.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
    idle.settimeout(5)
    assert idle.recv(65536).startswith(b"HTTP/1.1 401")
    started = time.monotonic()
    assert closed_by_server(idle, 6), "an idle keep-alive connection was never closed"
    assert time.monotonic() - started >= 1.5, "the keep-alive timeout was not applied"


# --------------------------------------------------------------------------
# a full disk


@contextlib.contextmanager
def tmpfs(path: Path, size_mb: int):
    if os.geteuid() != 0:
        pytest.fail("the full-disk test mounts a tmpfs and must run as root (as CI does)")
    path.mkdir(parents=True, exist_ok=True)
    mounted = run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)])
    assert mounted.returncode == 0, describe(mounted)
    try:
        yield path
    finally:
        run(["umount", "-l", str(path)])


def fill(directory: Path, leave_bytes: int) -> Path:
    """A file that takes all of the filesystem's free space but `leave_bytes`."""
    filler = directory / "filler"
    stats = os.statvfs(directory)
    free = stats.f_bavail * stats.f_frsize
    with open(filler, "wb") as out:
        remaining = max(free - leave_bytes, 0)
        block = b"\0" * (1 << 20)
        while remaining > 0:
            out.write(block[: min(len(block), remaining)])
            remaining -= min(len(block), remaining)
    return filler


def test_full_disk_answers_507_keeps_no_partial_chunk_and_recovers(wharf_factory, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("full")
    server = WharfServer(workdir)
    wharf_factory.servers.append(server)
    with tmpfs(server.data_dir, 64):
        server.create_user(*ALICE)
        server.start()
        session = alice_session(server)
        location = start_upload(session, "alice/full")
        storage = server.data_dir / "storage"
        filler = fill(server.data_dir, 256 * 1024)

        chunk = os.urandom(2 << 20)
        resp = session.request("PATCH", location, data=chunk, headers={"Content-Range": f"0-{len(chunk) - 1}"})
        assert resp.status_code == 507, f"{resp.status_code} {resp.text}"
        assert_oci_error(resp, "UNAVAILABLE")
        staged = [p for p in storage.rglob("*") if p.is_file() and "blobs" not in p.parts]
        assert staged == [], f"the failed chunk's bytes stayed on disk: {staged}"
        status = session.get(location)
        assert status.status_code == 204 and status.headers["Range"] == "0-0"

        if not os.environ.get("WHARF_TEST_DB_URI"):
            # The SQLite database is on the full disk too: metadata writes end in 507 once it cannot grow.
            # Each push creates its repository when the token endpoint grants push, so the write that
            # finds the disk full may be the token endpoint's: its 507 is what the client gets.
            for i in range(500):
                write = session.request("POST", f"/v2/alice/full-{i}/blobs/uploads/")
                if write.status_code == 401 and session.last_token_response.status_code == 507:
                    write = session.last_token_response
                if write.status_code == 507:
                    assert_oci_error(write, "UNAVAILABLE")
                    assert "database" in write.json()["errors"][0]["message"], write.text
                    break
                assert write.status_code == 202, f"{write.status_code} {write.text}"
            else:
                pytest.fail("metadata writes kept succeeding on a full disk")

        # Space again: the same upload goes on, without a restart.
        filler.unlink()
        resp = session.request("PATCH", location, data=chunk, headers={"Content-Range": f"0-{len(chunk) - 1}"})
        assert resp.status_code == 202, f"{resp.status_code} {resp.text}"
        digest = sha256_digest(chunk)
        done = session.put(f"{location}?digest={digest}")
        assert done.status_code == 201, f"{done.status_code} {done.text}"
        pulled = session.get(f"/v2/alice/full/blobs/{digest}")
        assert pulled.status_code == 200 and pulled.content == chunk
        assert len(log_lines(server, "storage full")) == 1, server.log_tail()
        assert log_lines(server, "storage available again"), server.log_tail()
        server.stop()


# --------------------------------------------------------------------------
# a database outage


class PrivatePostgres:
    """A PostgreSQL server of this test's own (scripts/start-postgres), stopped and started at will."""

    def __init__(self):
        started = run([str(REPO_ROOT / "scripts" / "start-postgres")], timeout=120)
        assert started.returncode == 0, describe(started)
        values = dict(re.findall(r"export (\w+)=(\S+)", started.stdout))
        self.uri = values["WHARF_TEST_POSTGRES_URI"]
        self.dir = values["WHARF_TEST_POSTGRES_DIR"]
        self.port = urllib.parse.urlsplit(self.uri).port
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        self.pg_ctl = os.environ.get("PG_BIN", str(bins[-1].parent)) + "/pg_ctl"

    def _ctl(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        proc = run(prefix + [self.pg_ctl, "-D", f"{self.dir}/data", *args], timeout=120)
        assert proc.returncode == 0, describe(proc)

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._ctl("-l", f"{self.dir}/postgres.log", "-o", options, "-w", "start")

    def remove(self) -> None:
        run([str(REPO_ROOT / "scripts" / "stop-postgres"), self.dir], timeout=120)


@pytest.mark.skipif(not os.environ.get("WHARF_TEST_DB_URI"), reason="runs in the PostgreSQL pass")
def test_database_outage_answers_503_and_recovers_without_a_restart(wharf_factory, tmp_path_factory, monkeypatch):
    postgres = PrivatePostgres()
    try:
        monkeypatch.delenv("WHARF_TEST_DB_URI")
        server = WharfServer(tmp_path_factory.mktemp("outage"), extra_config={"DB_URI": postgres.uri})
        wharf_factory.servers.append(server)
        server.create_user(*ALICE)
        server.start()
        minted = server.cli("token", "create", "--data-dir", str(server.data_dir), "--config", str(server.config_path),
                            "--username", "alice", "--scope", "repo:read")
        assert minted.returncode == 0, describe(minted)
        oauth_token = minted.stdout.strip()
        session = alice_session(server)
        layer = b"outage layer"
        location = start_upload(session, "alice/outage")
        assert session.put(f"{location}?digest={sha256_digest(layer)}", data=layer).status_code == 201

        postgres.stop()
        time.sleep(1.5)  # past the pull-by-tag cache
        for _ in range(30):
            resp = session.get(f"/v2/alice/outage/blobs/{sha256_digest(layer)}")
            assert resp.status_code == 503, f"{resp.status_code} {resp.text}"
            assert_oci_error(resp, "UNAVAILABLE")
            assert int(resp.headers["Retry-After"]) > 0
        quay = requests.get(server.url + "/api/v1/repository/alice/outage", timeout=30,
                            headers={"Authorization": f"Bearer {oauth_token}"})
        assert quay.status_code == 503 and "database" in quay.json()["message"], quay.text
        portus = requests.get(server.url + "/api/v1/users", timeout=30, headers={"Portus-Auth": "alice:" + "t" * 120})
        assert portus.status_code == 503 and "message" in portus.json(), portus.text
        token = requests.get(server.url + "/v2/auth", timeout=30, params={"scope": "repository:alice/outage:pull"},
                             auth=("alice", USERS["alice"]))
        assert token.status_code == 503, token.text
        assert len(log_lines(server, "database unavailable")) == 1, server.log_tail()

        postgres.start()
        wait_for(lambda: session.get(f"/v2/alice/outage/blobs/{sha256_digest(layer)}").status_code == 200, 30,
                 "the registry answers again once PostgreSQL is back")
        assert log_lines(server, "database available again"), server.log_tail()
        server.stop()
    finally:
        postgres.remove()


# --------------------------------------------------------------------------
# a shutdown during an upload


def test_sigterm_during_a_slow_upload_ends_in_bounded_time_and_the_upload_resumes(wharf_factory):
    server = wharf_factory(users=dict([ALICE]), extra_config={"SHUTDOWN_TIMEOUT_SEC": 2})
    session = alice_session(server)
    location = start_upload(session, "alice/slow")
    sent = bytearray()

    def slow_body():
        for _ in range(600):
            piece = os.urandom(4096)
            sent.extend(piece)
            yield piece
            time.sleep(0.05)

    token = session.tokens[next(iter(session.tokens))]

    def upload():
        # Straight with the token: an unauthenticated first try would be answered before its body is read.
        with contextlib.suppress(requests.RequestException):
            requests.patch(location, data=slow_body(), timeout=60, headers={"Authorization": f"Bearer {token}"})

    uploader = threading.Thread(target=upload, daemon=True)
    uploader.start()
    wait_for(lambda: len(sent) > 40000, 10, "the upload is under way")
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=20)
    took = time.monotonic() - started
    assert took < 10, f"shutdown took {took:.1f} s"
    assert server.proc.returncode == 0, server.log_tail()
    assert log_lines(server, "shutdown timeout"), server.log_tail()
    uploader.join(timeout=30)

    server.stop_process()
    server.start()
    session = alice_session(server)
    status = session.get(location)
    assert status.status_code == 204, f"{status.status_code} {status.text}"
    received = int(status.headers["Range"].split("-")[1]) + 1 if status.headers["Range"] != "0-0" else 0
    assert received <= len(sent)
    rest = bytes(sent[received:])
    resp = session.request("PATCH", location, data=rest, headers={"Content-Range": f"{received}-{len(sent) - 1}"})
    assert resp.status_code == 202, f"{resp.status_code} {resp.text}"
    digest = sha256_digest(bytes(sent))
    done = session.put(f"{location}?digest={digest}")
    assert done.status_code == 201, f"{done.status_code} {done.text}"


# --------------------------------------------------------------------------
# a crash's leftovers


def test_crash_leftovers_are_removed_after_the_grace_period(wharf_factory):
    server = wharf_factory(users=dict([ALICE]), extra_config={"STORAGE_RECONCILE_GRACE_SEC": 60})
    session = alice_session(server)
    kept = b"a blob the registry records"
    location = start_upload(session, "alice/kept")
    assert session.put(f"{location}?digest={sha256_digest(kept)}", data=kept).status_code == 201
    server.stop_process()

    storage = server.data_dir / "storage"
    old = time.time() - 3600

    def blob_file(data: bytes) -> Path:
        hexdigest = hashlib.sha256(data).hexdigest()
        path = storage / "blobs" / "sha256" / hexdigest[:2] / hexdigest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    orphan = blob_file(b"moved into place just before a crash")
    os.utime(orphan, (old, old))
    young = blob_file(b"moved into place a moment ago")
    staged = storage / "uploads" / "5b5d1d53-1f8a-4d7e-9a39-3f0f0b7a1c11" / "0-0f9d1f3e-7a2b-4c1d-8e5f-6a7b8c9d0e1f"
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(b"bytes of an upload whose session never was")
    os.utime(staged, (old, old))
    recorded = storage / "blobs" / "sha256" / hashlib.sha256(kept).hexdigest()[:2] / hashlib.sha256(kept).hexdigest()
    os.utime(recorded, (old, old))

    server.start()
    wait_for(lambda: not orphan.exists() and not staged.exists(), 30, "the leftovers are removed")
    assert young.exists(), "a blob inside the grace period was removed"
    assert recorded.exists(), "a recorded blob was removed"
    assert [line for line in log_lines(server, "no row records") if orphan.name in line], server.log_tail()
    assert log_lines(server, "no session owns"), server.log_tail()
    pulled = alice_session(server).get(f"/v2/alice/kept/blobs/{sha256_digest(kept)}")
    assert pulled.status_code == 200 and pulled.content == kept


# --------------------------------------------------------------------------
# startup errors and the data directory


def one_error_line(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    """The command failed with one clear line naming `fragments` (log lines aside)."""
    assert proc.returncode != 0, describe(proc)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, describe(proc)
    for fragment in fragments:
        assert fragment in errors[0], describe(proc)
    assert "NSCocoaErrorDomain" not in proc.stderr and "Generic description" not in proc.stderr, describe(proc)
    return errors[0]


def test_startup_errors_are_one_clear_line(tmp_path, wharf_factory):
    wharf = str(wharf_bin())
    data = tmp_path / "data"

    missing = run([wharf, "serve", "--data-dir", str(data), "--config", str(tmp_path / "nowhere.yaml")])
    one_error_line(missing, str(tmp_path / "nowhere.yaml"), "no such file")

    unreadable = run([wharf, "serve", "--data-dir", str(data), "--config", str(tmp_path)])
    one_error_line(unreadable, str(tmp_path), "cannot be read")

    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("SUPER_USERS: [admin\n")
    one_error_line(run([wharf, "serve", "--data-dir", str(data), "--config", str(bad_yaml)]), str(bad_yaml))

    closed_port = free_port()
    no_db = tmp_path / "nodb.yaml"
    no_db.write_text(f"DB_URI: postgresql://wharf:secret@127.0.0.1:{closed_port}/wharf\n")
    line = one_error_line(run([wharf, "serve", "--data-dir", str(data), "--config", str(no_db)], timeout=120),
                          f"127.0.0.1:{closed_port}")
    assert "secret" not in line

    one_error_line(run([wharf, "serve", "--port", "99999"]), "99999")

    busy = wharf_factory()
    taken = run([wharf, "serve", "--data-dir", str(tmp_path / "other"), "--port", str(busy.port)], timeout=60)
    one_error_line(taken, f"127.0.0.1:{busy.port}", "in use")
    assert "wharf listening" not in taken.stdout + taken.stderr


def test_cli_commands_name_their_data_directory_and_refuse_a_missing_one(tmp_path, wharf_factory):
    server = wharf_factory()
    wharf = str(wharf_bin())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = run([wharf, "user", "create", "--username", "carol", "--password", "carol-password1"], cwd=elsewhere)
    one_error_line(refused, str(elsewhere / "wharf-data"))
    assert not (elsewhere / "wharf-data").exists(), "a new store was created"

    created = run([wharf, "user", "create", "--data-dir", str(server.data_dir), "--config", str(server.config_path),
                   "--username", "carol", "--password", "carol-password1"], cwd=elsewhere)
    assert created.returncode == 0, describe(created)
    assert str(server.data_dir.resolve()) in created.stderr, describe(created)
    help_text = " ".join(run([wharf, "serve", "--help"]).stdout.split())
    assert "relative path is taken from the current directory" in help_text, help_text
