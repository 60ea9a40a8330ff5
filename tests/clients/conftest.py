"""Shared fixtures for Wharf's client tests.

These tests drive real registry clients (skopeo, umoci, the oras Python SDK)
against a real `wharf serve` process started here.

Environment:
  WHARF_BIN          path to the wharf binary (default: <repo>/.build/debug/wharf;
                     a relative path is taken relative to the repository root)
  WHARF_TEST_DB_URI  if set, a PostgreSQL URI (postgresql://user@127.0.0.1:port/db).
                     Each server then gets its own fresh database on that
                     PostgreSQL server, put into its config as DB_URI; without
                     it the server uses SQLite in its data dir.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]

# Test users, created with `wharf user create` before the shared server starts.
# Wrong passwords count against an account (after a few failures it must wait), so each test that
# sends a wrong password does so for an account of its own, never for alice or bob.
USERS = {
    "alice": "alice-Pa55word!",
    "bob": "bob-Pa55word!",
    "mallory-oras": "mallory-Pa55word!",
    "mallory-token": "mallory-Pa55word!",
    "mallory-skopeo": "mallory-Pa55word!",
}

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
MANIFEST_ACCEPT = ", ".join(
    [
        OCI_MANIFEST,
        OCI_INDEX,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)

SERVER_START_TIMEOUT = float(os.environ.get("WHARF_TEST_START_TIMEOUT", "60"))


# --------------------------------------------------------------------------
# small helpers


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wharf_bin() -> Path:
    raw = os.environ.get("WHARF_BIN")
    path = Path(raw) if raw else Path(".build/debug/wharf")
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def run(cmd: List[str], *, timeout: float = 180, env: Optional[dict] = None,
        cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    """Run a command, capturing text output; never raises on non-zero exit."""
    return subprocess.run(
        [str(c) for c in cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(cwd) if cwd else None,
    )


def describe(proc: subprocess.CompletedProcess) -> str:
    return (
        f"command: {' '.join(map(str, proc.args))}\n"
        f"exit code: {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
    )


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def parse_www_authenticate(value: str) -> tuple[str, Dict[str, str]]:
    """Parse `Bearer realm="...",service="...",scope="..."` into (scheme, params)."""
    scheme, _, rest = value.strip().partition(" ")
    params = {k.lower(): v for k, v in re.findall(r'(\w+)="([^"]*)"', rest)}
    return scheme, params


# --------------------------------------------------------------------------
# PostgreSQL: one fresh database per server


class PostgresDatabase:
    """A database created on the server named by WHARF_TEST_DB_URI."""

    def __init__(self, base_uri: str):
        parsed = urllib.parse.urlsplit(base_uri)
        self.base_uri = base_uri
        self.name = "wharf_client_" + secrets.token_hex(6)
        self.uri = urllib.parse.urlunsplit(parsed._replace(path="/" + self.name))

    def _psql(self, sql: str, uri: Optional[str] = None) -> str:
        psql = shutil.which("psql")
        if psql is None:
            pytest.fail("WHARF_TEST_DB_URI is set but psql is not installed")
        proc = run([psql, uri or self.base_uri, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], timeout=60)
        if proc.returncode != 0:
            raise RuntimeError("psql failed:\n" + describe(proc))
        return proc.stdout.strip()

    def table_count(self) -> int:
        """Tables in this database's public schema (so: did wharf use it?)."""
        return int(self._psql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", uri=self.uri))

    def query(self, sql: str) -> str:
        """Runs `sql` in this database; psql's unaligned output (columns split by `|`)."""
        return self._psql(sql, uri=self.uri)

    def create(self) -> None:
        self._psql(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        try:
            self._psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as exc:  # pragma: no cover - cleanup only
            print(f"warning: could not drop {self.name}: {exc}")


# --------------------------------------------------------------------------
# A wharf server process


class WharfServer:
    def __init__(self, workdir: Path, super_users: Iterable[str] = ("admin",),
                 extra_config: Optional[Dict[str, object]] = None):
        self.bin = wharf_bin()
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.config_path = workdir / "config.yaml"
        self.log_path = workdir / "wharf.log"
        self.proc: Optional[subprocess.Popen] = None
        self._log_file = None
        self.database: Optional[PostgresDatabase] = None

        db_base = os.environ.get("WHARF_TEST_DB_URI")
        if db_base:
            self.database = PostgresDatabase(db_base)
            self.database.create()

        lines = [
            f"SERVER_HOSTNAME: {json.dumps(self.host)}",
            "PREFERRED_URL_SCHEME: http",
            "FEATURE_USER_INITIALIZE: true",
            "SUPER_USERS:",
            *[f"  - {json.dumps(u)}" for u in super_users],
        ]
        if self.database:
            lines.append(f"DB_URI: {json.dumps(self.database.uri)}")
        # More config keys, each value written as JSON (which YAML reads as is).
        for key, value in (extra_config or {}).items():
            lines.append(f"{key}: {json.dumps(value)}")
        self.config_path.write_text("\n".join(lines) + "\n")

    # -- CLI ---------------------------------------------------------------

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return run([self.bin, *args], timeout=timeout)

    def create_user(self, username: str, password: str, email: Optional[str] = None) -> None:
        proc = self.cli(
            "user", "create",
            "--data-dir", str(self.data_dir),
            "--config", str(self.config_path),
            "--username", username,
            "--password", password,
            "--email", email or f"{username}@example.com",
        )
        assert proc.returncode == 0, "wharf user create failed:\n" + describe(proc)

    # -- process -------------------------------------------------------------

    def start(self) -> "WharfServer":
        if not self.bin.exists():
            pytest.fail(f"wharf binary not found at {self.bin} (set WHARF_BIN or run `swift build`)")
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                str(self.bin), "serve",
                "--hostname", "127.0.0.1",
                "--port", str(self.port),
                "--data-dir", str(self.data_dir),
                "--config", str(self.config_path),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"wharf serve exited with {self.proc.returncode} before it was ready\n"
                    + self.log_tail()
                )
            try:
                requests.get(self.url + "/v2/", timeout=2)
            except requests.RequestException:
                pass
            else:
                if self.database:
                    assert self.database.table_count() > 0, (
                        f"wharf is up but created no tables in {self.database.uri} (DB_URI ignored?)\n"
                        + self.log_tail())
                return self
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"wharf serve not ready after {SERVER_START_TIMEOUT}s\n" + self.log_tail())
            time.sleep(0.1)

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return f"--- last {n} lines of {self.log_path} ---\n" + "\n".join(lines[-n:])

    def stop(self) -> None:
        """Stops the server and drops its PostgreSQL database."""
        self.stop_process()
        if self.database:
            self.database.drop()
            self.database = None

    def stop_process(self) -> None:
        """Stops the server process; its data directory and database stay, for `start()` again."""
        if self.proc is not None and self.proc.poll() is None:
            # Signal only the process we started (it leads its own session).
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                print(f"warning: wharf serve (pid {self.proc.pid}) ignored SIGTERM for 5 s; killing it")
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    # -- HTTP helpers ----------------------------------------------------------

    def get(self, path: str, **kw) -> requests.Response:
        """A plain GET, no auth handshake."""
        return requests.get(self.url + path, timeout=30, **kw)

    def post_raw(self, path: str, **kw) -> requests.Response:
        """A plain POST, no auth handshake."""
        return requests.post(self.url + path, timeout=30, **kw)

    def session(self, username: Optional[str] = None, password: Optional[str] = None) -> "RegistrySession":
        return RegistrySession(self, username, password)


class RegistrySession:
    """A minimal registry client doing Docker token auth like real clients do.

    A request goes out without credentials; on 401 with a Bearer challenge it
    asks the challenge's realm for a token (with Basic credentials if it has
    some, with the challenge's service and scope) and retries with the token.
    If no token can be had, the original 401 is returned.
    """

    def __init__(self, server: WharfServer, username: Optional[str], password: Optional[str]):
        self.server = server
        self.username = username
        self.password = password
        self.http = requests.Session()
        self.tokens: Dict[str, str] = {}
        # The token endpoint's last answer, for a caller to see why no token came (a 507, say).
        self.last_token_response: Optional[requests.Response] = None

    def token_for(self, challenge: str) -> Optional[str]:
        scheme, params = parse_www_authenticate(challenge)
        if scheme.lower() != "bearer" or "realm" not in params:
            return None
        key = params.get("scope", "")
        if key in self.tokens:
            return self.tokens[key]
        query = {k: params[k] for k in ("service", "scope") if k in params}
        headers = {}
        if self.username is not None:
            headers["Authorization"] = basic_header(self.username, self.password or "")
        resp = self.http.get(params["realm"], params=query, headers=headers, timeout=30)
        self.last_token_response = resp
        if resp.status_code != 200:
            return None
        body = resp.json()
        token = body.get("token") or body.get("access_token")
        if token:
            self.tokens[key] = token
        return token

    def request(self, method: str, path: str, **kw) -> requests.Response:
        url = path if path.startswith("http") else self.server.url + path
        headers = dict(kw.pop("headers", None) or {})
        kw.setdefault("timeout", 60)
        resp = self.http.request(method, url, headers=headers, **kw)
        if resp.status_code == 401 and "WWW-Authenticate" in resp.headers:
            token = self.token_for(resp.headers["WWW-Authenticate"])
            if token:
                headers["Authorization"] = "Bearer " + token
                resp = self.http.request(method, url, headers=headers, **kw)
        return resp

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def put(self, path: str, **kw) -> requests.Response:
        return self.request("PUT", path, **kw)

    def head(self, path: str, **kw) -> requests.Response:
        return self.request("HEAD", path, **kw)

    # -- registry operations ---------------------------------------------------

    def upload_blob(self, repo: str, data: bytes) -> str:
        """Monolithic upload: POST to start, PUT with ?digest= to finish."""
        digest = sha256_digest(data)
        start = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        assert start.status_code == 202, f"blob upload start: {start.status_code} {start.text}"
        location = start.headers["Location"]
        if not location.startswith("http"):
            location = self.server.url + location
        sep = "&" if "?" in location else "?"
        done = self.put(
            f"{location}{sep}digest={urllib.parse.quote(digest)}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert done.status_code == 201, f"blob upload finish: {done.status_code} {done.text}"
        assert done.headers.get("Docker-Content-Digest") == digest
        return digest


def assert_oci_error(resp: requests.Response, *codes: str) -> None:
    """The body is an OCI error document whose first error code is one of `codes`."""
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"error response is not JSON: {resp.status_code} {resp.text[:500]!r}")
    assert isinstance(body.get("errors"), list) and body["errors"], body
    for err in body["errors"]:
        assert "code" in err and "message" in err, body
    assert body["errors"][0]["code"] in codes, body


# --------------------------------------------------------------------------
# OCI image layouts (umoci) and skopeo


def read_layout(layout: Path, tag: str) -> dict:
    """Read the manifest tagged `tag` in an OCI image layout.

    Returns {"digest", "manifest_bytes", "manifest", "layers" (digests), "config" (digest)}.
    """
    index = json.loads((layout / "index.json").read_text())
    matches = [
        m for m in index.get("manifests", [])
        if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") == tag
    ]
    assert len(matches) == 1, f"tag {tag!r} in {layout}/index.json: {index}"
    digest = matches[0]["digest"]
    algo, hexpart = digest.split(":", 1)
    raw = (layout / "blobs" / algo / hexpart).read_bytes()
    assert sha256_digest(raw) == digest, "manifest blob does not match its digest"
    manifest = json.loads(raw)
    return {
        "digest": digest,
        "manifest_bytes": raw,
        "manifest": manifest,
        "layers": [layer["digest"] for layer in manifest["layers"]],
        "config": manifest["config"]["digest"],
    }


def umoci(*args: str) -> subprocess.CompletedProcess:
    rootless = [] if os.geteuid() == 0 else ["--rootless"]
    cmd = ["umoci", *args]
    # --rootless is an option of the subcommands that touch the filesystem.
    if rootless and args and args[0] in ("insert", "unpack", "repack", "raw"):
        cmd = ["umoci", args[0], *rootless, *args[1:]]
    proc = run(cmd, timeout=120)
    assert proc.returncode == 0, "umoci failed:\n" + describe(proc)
    return proc


def build_image(workdir: Path, layout: Path, tag: str, layers: List[Dict[str, bytes]]) -> dict:
    """Build an image in an OCI layout with one layer per dict of {path: content}.

    Each layer is made with `umoci insert` of a directory of generated files.
    """
    if not (layout / "index.json").exists():
        umoci("init", "--layout", str(layout))
    umoci("new", "--image", f"{layout}:{tag}")
    for i, files in enumerate(layers):
        src = workdir / f"{tag}-layer{i}"
        for rel, content in files.items():
            dest = src / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(content)
        umoci("insert", "--image", f"{layout}:{tag}", str(src), f"/layer{i}")
    umoci("config", "--image", f"{layout}:{tag}", "--config.cmd", "/bin/true",
          "--config.label", f"org.example.wharf.test={tag}")
    info = read_layout(layout, tag)
    assert len(info["layers"]) == len(layers), info["manifest"]
    return info


class Skopeo:
    """Runs skopeo with an isolated auth file and an accept-anything policy."""

    def __init__(self, env: dict, policy: Path):
        self.env = env
        self.policy = policy

    def __call__(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return run(["skopeo", "--policy", str(self.policy), *args], timeout=timeout, env=self.env)

    def ok(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        proc = self(*args, timeout=timeout)
        assert proc.returncode == 0, describe(proc)
        return proc


# --------------------------------------------------------------------------
# fixtures


class ServerFactory:
    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.servers: List[WharfServer] = []

    def __call__(self, users: Dict[str, str] = None, super_users: Iterable[str] = ("admin",),
                 extra_config: Optional[Dict[str, object]] = None) -> WharfServer:
        server = WharfServer(self.tmp_path_factory.mktemp("wharf"), super_users=super_users,
                             extra_config=extra_config)
        self.servers.append(server)
        for username, password in (users or {}).items():
            server.create_user(username, password)
        return server.start()

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="session")
def wharf_factory(tmp_path_factory):
    """Starts fresh wharf servers on demand; all are stopped at the end of the session."""
    factory = ServerFactory(tmp_path_factory)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def wharf(wharf_factory) -> WharfServer:
    """A shared server with the users in USERS (created by `wharf user create`)."""
    return wharf_factory(users=USERS)


@pytest.fixture(scope="session")
def client_env(tmp_path_factory) -> dict:
    """Environment for client processes: isolated auth/config files, no proxies."""
    home = tmp_path_factory.mktemp("client-home")
    auth = home / "auth.json"
    auth.write_text('{"auths": {}}')
    env = dict(os.environ)
    env.update(
        {
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "REGISTRY_AUTH_FILE": str(auth),
            "DOCKER_CONFIG": str(home / ".docker"),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(var, None)
    return env


@pytest.fixture(scope="session", autouse=True)
def _no_proxy_for_loopback():
    """requests must talk to 127.0.0.1 directly, whatever proxy the machine has."""
    saved = {k: os.environ.get(k) for k in ("NO_PROXY", "no_proxy")}
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def skopeo(client_env, tmp_path_factory) -> Skopeo:
    if shutil.which("skopeo") is None:
        pytest.fail("skopeo is not installed (apt-get install skopeo)")
    policy = tmp_path_factory.mktemp("skopeo") / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    return Skopeo(client_env, policy)
