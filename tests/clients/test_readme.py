"""Every shell command in README.md works, run in order on a fresh data directory.

The README's ```sh blocks are taken in order and run with bash (`set -euo pipefail`) in a fresh
temporary working directory, as one shell session: the shell variables a block sets (`T=$(…)`) and
its working directory carry over to the next block. Each block runs as its own bash process, so its
exit status and output are checked (and shown on failure) one by one; after a failure the following
blocks still run, and all failures are reported together.

Exactly two substitutions are made in the blocks' text, and nothing else is changed:

1. `swift run -c release wharf` becomes the binary under test (WHARF_BIN, default
   .build/debug/wharf relative to the repository root; the developers build it, this test never
   runs swift);
2. the port 5000 becomes a free port: every `127.0.0.1:5000`, and the default port of
   `wharf serve` (5000), which the test makes explicit by adding `--port <free port>` after
   `serve`. Any other `5000` left in a block fails the test (it would name the wrong server).

A line that runs `wharf serve` is started in the background (with the variables of the blocks
before it, in the same working directory), the test waits until it answers on its port, and stops
it at the end. The README must start the server before any other command needs it.

An HTML comment right before a fence marks a block that cannot run in order; the markers are:

  <!-- readme-test: fresh-server -->
      the block must run against an empty server (Portus's `users/bootstrap`): it runs in a
      working directory and shell session of its own, against a second server that the test
      starts there with `wharf serve --port <another free port>` (127.0.0.1:5000 in the block
      names that server); the main sequence then goes on as if the block were not there.
  <!-- readme-test: skip (reason) -->
      the block is not run here. Allowed only for a block that runs the test suite itself
      (`bash .ci/run`, `scripts/test`), which would run this test again; CI runs `.ci/run`, so
      that block is tested there.

A marker anywhere else than right before a ```sh fence, or an unknown one, fails the test.

The client tools are the real ones and must be installed (the test fails, never skips, without
them): curl, jq, skopeo, umoci, podman, docker and dockerd (Debian: curl jq skopeo umoci podman
docker.io). What the test sets up for them, all under temporary directories and through the
environment only, so that the machine's own configuration is left alone:

- HOME, XDG_CONFIG_HOME, XDG_RUNTIME_DIR, REGISTRY_AUTH_FILE and DOCKER_CONFIG are fresh and
  empty, so logins start from nothing; a containers policy.json there accepts any image;
- curl reads a .curlrc there (CURL_HOME) with `fail-with-body` and `show-error`, so that a README
  curl command answered with an HTTP error fails its block instead of passing silently;
- podman runs as root with the vfs storage driver, its storage in a temporary storage.conf
  (CONTAINERS_STORAGE_CONF) and its engine settings in a temporary containers.conf
  (CONTAINERS_CONF: cgroupfs, file events log, temporary tmp_dir);
- a private dockerd is started for the test (root needed): `--storage-driver=vfs
  --iptables=false --bridge=none`, its own --data-root, --exec-root, --pidfile and
  `-H unix://<tmp>/docker.sock` (DOCKER_HOST points at it) and
  `--insecure-registry 127.0.0.1:<port>`; it is stopped at the end.

The test runs once per CI run: it is skipped in the PostgreSQL pass (WHARF_TEST_DB_URI set), since
what it checks is the README, not the metadata database.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import pytest
import requests

from conftest import REPO_ROOT, SERVER_START_TIMEOUT, free_port, wharf_bin

README = REPO_ROOT / "README.md"
SWIFT_RUN = "swift run -c release wharf"
README_PORT = "5000"
MARKER = re.compile(r"^<!--\s*readme-test:\s*([a-z-]+)\b.*-->\s*$")
MARKERS = {"fresh-server", "skip"}
SERVE_LINE = re.compile(r"^\s*" + re.escape(SWIFT_RUN) + r"\s+serve(\s|$)")
SUITE_BLOCK = re.compile(r"\s*(bash\s+)?(\.ci/run|scripts/test)\b[^\n]*\s*")

# tool -> Debian package
TOOLS = {
    "bash": "bash",
    "curl": "curl",
    "jq": "jq",
    "skopeo": "skopeo",
    "umoci": "umoci",
    "podman": "podman",
    "docker": "docker.io",
    "dockerd": "docker.io",
}

BLOCK_TIMEOUT = 600
DOCKERD_START_TIMEOUT = 60


@dataclass
class Block:
    number: int          # 1-based, in README order
    line: int            # line of the opening fence in README.md
    marker: Optional[str]
    text: str

    @property
    def where(self) -> str:
        return f"README block {self.number} (README.md line {self.line})"


def readme_blocks() -> List[Block]:
    """The ```sh blocks of README.md, in order, with the marker comment right before each, if any."""
    blocks: List[Block] = []
    lines = README.read_text().splitlines()
    for n, line in enumerate(lines):
        if "readme-test" in line:
            assert n + 1 < len(lines) and lines[n + 1].strip() == "```sh", (
                f"README.md line {n + 1}: a readme-test marker must sit right before a ```sh fence")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            marker = None
            # The marker is the line right before the fence.
            if i > 0 and lines[i - 1].lstrip().startswith("<!--") and "readme-test" in lines[i - 1]:
                match = MARKER.match(lines[i - 1].strip())
                assert match and match.group(1) in MARKERS, (
                    f"README.md line {i}: unknown readme-test marker {lines[i - 1]!r}; known: {sorted(MARKERS)}")
                marker = match.group(1)
            start = i + 1
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                i += 1
            assert i < len(lines), f"README.md line {start}: ```sh block never closed"
            blocks.append(Block(len(blocks) + 1, start, marker, "\n".join(lines[start:i]) + "\n"))
        i += 1
    return blocks


def substitute(text: str, binary: Path, port: int, where: str) -> str:
    """The two substitutions: the wharf binary, and the port (serve's default made explicit)."""
    out = []
    for line in text.splitlines():
        if SERVE_LINE.match(line):
            line = line.replace(f"{SWIFT_RUN} serve", f"{SWIFT_RUN} serve --port {port}", 1)
        out.append(line)
    text = "\n".join(out) + "\n"
    text = text.replace(SWIFT_RUN, shlex.quote(str(binary)))
    text = text.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")
    leftover = [line for line in text.splitlines() if re.search(rf"\b{README_PORT}\b", line)]
    assert not leftover, f"{where}: port {README_PORT} outside `127.0.0.1:{README_PORT}`: {leftover}"
    return text


# --------------------------------------------------------------------------
# one shell session, one bash process per block

# Saves the variables the blocks defined (names that were not there when bash started) and the
# working directory, for the next block.
_SAVE_STATE = r"""
{
  for __readme_v in $(compgen -v); do
    case "$__readme_v" in __readme*|BASH*|_|PIPESTATUS|COLUMNS|LINES) continue ;; esac
    grep -qxF -- "$__readme_v" <<<"$__readme_base" || declare -p "$__readme_v"
  done
} > "$__readme_state"
pwd > "$__readme_cwd"
"""


class Session:
    """A shell session spread over bash processes: variables and working directory carry over."""

    def __init__(self, workdir: Path, env: dict, name: str):
        self.workdir = workdir
        self.env = env
        self.dir = workdir.parent / f"{name}-session"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = self.dir / "state.sh"
        self.cwd = self.dir / "cwd"
        self.state.write_text("")
        self.cwd.write_text(str(workdir) + "\n")
        self.count = 0

    def script(self, body: str, save: bool = True) -> Path:
        self.count += 1
        path = self.dir / f"part{self.count}.sh"
        prelude = (
            "__readme_base=$(compgen -v)\n"
            f"__readme_state={shlex.quote(str(self.state))}\n"
            f"__readme_cwd={shlex.quote(str(self.cwd))}\n"
            'source "$__readme_state"\n'
            'cd "$(cat "$__readme_cwd")"\n'
            "set -euo pipefail\n"
            "# ---- README ----\n"
        )
        path.write_text(prelude + body + ("# ---- end ----\n" + _SAVE_STATE if save else ""))
        return path

    def run(self, body: str, timeout: float = BLOCK_TIMEOUT) -> subprocess.CompletedProcess:
        path = self.script(body)
        try:
            return subprocess.run(["bash", str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, env=self.env, timeout=timeout,
                                  cwd=str(self.workdir))
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            return subprocess.CompletedProcess(exc.cmd, -1, out + f"\n(timed out after {timeout} s)\n")


# --------------------------------------------------------------------------
# background processes: wharf serve, dockerd


class Background:
    """A process the test started in a session of its own; stopped by its pid."""

    def __init__(self, name: str, argv: List[str], log: Path, env: dict, cwd: Path):
        self.name = name
        self.log = log
        self._log_file = open(log, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, env=env, cwd=str(cwd), start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, n: int = 60) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return f"(no log for {self.name})"
        return f"--- last {n} lines of {self.log} ---\n" + "\n".join(lines[-n:])

    def stop(self, grace: float = 20) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                print(f"warning: {self.name} (pid {self.proc.pid}) ignored SIGTERM for {grace} s; killing it")
                self.proc.kill()
                self.proc.wait(timeout=10)
        # Children it left behind (dockerd's containerd) are in the session it leads.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
        self._log_file.close()


def wait_for_wharf(server: Background, port: int, where: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if not server.alive():
            pytest.fail(f"{where}: wharf serve exited with {server.proc.returncode} before it answered\n"
                        + server.tail())
        try:
            requests.get(f"http://127.0.0.1:{port}/v2/", timeout=2)
            return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{where}: wharf serve not answering after {SERVER_START_TIMEOUT} s\n" + server.tail())
        time.sleep(0.1)


def start_dockerd(root: Path, env: dict, port: int) -> Background:
    if os.geteuid() != 0:
        pytest.fail("dockerd must run as root for this test (CI runs it as root)")
    sock = root / "docker.sock"
    daemon = Background("dockerd", [
        "dockerd",
        "--storage-driver=vfs", "--iptables=false", "--bridge=none",
        "--data-root", str(root / "data"),
        "--exec-root", str(root / "exec"),
        "--pidfile", str(root / "docker.pid"),
        "-H", f"unix://{sock}",
        "--insecure-registry", f"127.0.0.1:{port}",
    ], root / "dockerd.log", env, root)
    env["DOCKER_HOST"] = f"unix://{sock}"
    deadline = time.monotonic() + DOCKERD_START_TIMEOUT
    while True:
        if not daemon.alive():
            pytest.fail(f"dockerd exited with {daemon.proc.returncode} while starting\n" + daemon.tail())
        if sock.exists():
            probe = subprocess.run(["docker", "version"], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
            if probe.returncode == 0:
                return daemon
        if time.monotonic() > deadline:
            daemon.stop()
            pytest.fail(f"dockerd not ready after {DOCKERD_START_TIMEOUT} s\n" + daemon.tail())
        time.sleep(0.5)


# --------------------------------------------------------------------------
# the client environment


def client_environment(home: Path) -> dict:
    """Fresh, empty client configuration under `home`; podman on vfs; curl failing on HTTP errors."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / ".config"
    (config / "containers").mkdir(parents=True, exist_ok=True)
    (config / "containers" / "policy.json").write_text('{"default": [{"type": "insecureAcceptAnything"}]}\n')
    (home / ".curlrc").write_text("fail-with-body\nshow-error\n")
    podman = home / "podman"
    (podman / "tmp").mkdir(parents=True, exist_ok=True)
    storage_conf = podman / "storage.conf"
    storage_conf.write_text(
        "[storage]\n"
        'driver = "vfs"\n'
        f'runroot = "{podman / "run"}"\n'
        f'graphroot = "{podman / "graph"}"\n')
    containers_conf = podman / "containers.conf"
    containers_conf.write_text(
        "[engine]\n"
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
        f'events_logfile_path = "{podman / "events.log"}"\n'
        f'tmp_dir = "{podman / "tmp"}"\n')
    (home / "auth.json").write_text('{"auths": {}}\n')

    env = dict(os.environ)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
                "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "BASH_ENV", "ENV",
                "CDPATH"):
        env.pop(var, None)
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(config),
        "XDG_RUNTIME_DIR": str(home),
        "CURL_HOME": str(home),
        "REGISTRY_AUTH_FILE": str(home / "auth.json"),
        "DOCKER_CONFIG": str(home / ".docker"),
        "CONTAINERS_STORAGE_CONF": str(storage_conf),
        "CONTAINERS_CONF": str(containers_conf),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    return env


# --------------------------------------------------------------------------
# the test


@pytest.mark.skipif(bool(os.environ.get("WHARF_TEST_DB_URI")),
                    reason="the README is checked once, in the SQLite pass")
def test_readme_commands_work_in_order(tmp_path):
    missing = sorted({f"{tool} (Debian package {pkg})" for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        pytest.fail("the README test needs these client tools, not installed: " + ", ".join(missing)
                    + "\n  apt-get install -y curl jq skopeo umoci podman docker.io")
    binary = wharf_bin()
    if not binary.exists():
        pytest.fail(f"wharf binary not found at {binary} (set WHARF_BIN or run `swift build`)")

    blocks = readme_blocks()
    assert blocks, "no ```sh blocks in README.md"
    serve_blocks = [b for b in blocks if b.marker is None and any(SERVE_LINE.match(line) for line in b.text.splitlines())]
    assert serve_blocks, "README.md has no block that starts `swift run -c release wharf serve`"

    port = free_port()
    env = client_environment(tmp_path / "home")
    # A short path: dockerd's and containerd's unix sockets live under it.
    docker_root = Path(tempfile.mkdtemp(prefix="wharf-readme-docker-"))
    background: List[Background] = []
    results: List[str] = []
    failures: List[str] = []
    started = time.monotonic()

    def record(block: Block, label: str, proc: subprocess.CompletedProcess, seconds: float, script: str) -> None:
        status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        results.append(f"{block.where}{label}: {status} in {seconds:.1f} s")
        print(f"==== {block.where}{label}: {status} in {seconds:.1f} s\n{proc.stdout}")
        if proc.returncode != 0:
            failures.append(f"==== {block.where}{label}: exit {proc.returncode}\n--- block as run ---\n{script}"
                            f"--- output ---\n{proc.stdout[-6000:]}")

    try:
        background.append(start_dockerd(docker_root, env, port))

        workdir = tmp_path / "work"
        workdir.mkdir()
        session = Session(workdir, env, "main")
        server: Optional[Background] = None

        for block in blocks:
            if block.marker == "skip":
                # Only the blocks that run the test suite itself may be skipped.
                assert SUITE_BLOCK.fullmatch(block.text), (
                    f"{block.where}: only a block running .ci/run or scripts/test may be marked skip")
                results.append(f"{block.where}: skipped (marked skip)")
                continue

            if block.marker == "fresh-server":
                fresh_port = free_port()
                fresh_dir = tmp_path / f"fresh-{block.number}"
                fresh_dir.mkdir()
                fresh = Background("wharf serve (fresh)", [str(binary), "serve", "--port", str(fresh_port)],
                                   tmp_path / f"fresh-{block.number}.log", env, fresh_dir)
                background.append(fresh)
                wait_for_wharf(fresh, fresh_port, block.where)
                text = substitute(block.text, binary, fresh_port, block.where)
                t0 = time.monotonic()
                proc = Session(fresh_dir, env, f"fresh-{block.number}").run(text)
                record(block, " [fresh server]", proc, time.monotonic() - t0, text)
                if proc.returncode != 0:
                    failures.append(fresh.tail())
                fresh.stop()
                continue

            # Split the block at its `wharf serve` line: what comes before runs first, the server
            # starts in the background, what comes after runs once it answers.
            lines = block.text.splitlines()
            serve_at = next((i for i, line in enumerate(lines) if SERVE_LINE.match(line)), None)
            if serve_at is None:
                text = substitute(block.text, binary, port, block.where)
                t0 = time.monotonic()
                proc = session.run(text)
                record(block, "", proc, time.monotonic() - t0, text)
                continue

            assert server is None, f"{block.where}: a second `wharf serve` in the main sequence"
            before = "\n".join(lines[:serve_at]).strip()
            after = "\n".join(lines[serve_at + 1:]).strip()
            if before:
                text = substitute(before, binary, port, block.where)
                t0 = time.monotonic()
                proc = session.run(text)
                record(block, " (before serve)", proc, time.monotonic() - t0, text)
            # The serve line runs in the session's directory, with its variables.
            serve_line = substitute(lines[serve_at], binary, port, block.where)
            launcher = session.script(f"exec {serve_line}", save=False)
            server = Background("wharf serve", ["bash", str(launcher)], tmp_path / "wharf-serve.log", env, workdir)
            background.append(server)
            t0 = time.monotonic()
            wait_for_wharf(server, port, block.where)
            results.append(f"{block.where}: `{serve_line.strip()}` answering after {time.monotonic() - t0:.1f} s")
            if after:
                text = substitute(after, binary, port, block.where)
                t0 = time.monotonic()
                proc = session.run(text)
                record(block, " (after serve)", proc, time.monotonic() - t0, text)

        if server is not None and not server.alive():
            failures.append(f"wharf serve exited with {server.proc.returncode} during the README\n" + server.tail())
        elif failures and server is not None:
            failures.append(server.tail())
    finally:
        for process in reversed(background):
            process.stop()
        shutil.rmtree(docker_root, ignore_errors=True)

    summary = "\n".join(results) + f"\ntotal {time.monotonic() - started:.1f} s"
    print("==== summary\n" + summary)
    if failures:
        pytest.fail("README commands failed:\n" + summary + "\n\n" + "\n\n".join(failures), pytrace=False)
