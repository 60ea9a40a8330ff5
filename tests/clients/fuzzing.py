"""Shared helpers of the fuzz tests (test_fuzz_quay.py, test_fuzz_registry_portus.py).

A fuzz test fails on any answer with a status >= 500 (except Wharf's 501 "… not supported" for
documented endpoints it does not serve yet), on a server that died, and on a crash in the server's
log; each failure names the request that caused it and the response (or the crash) it got.

This file is also Schemathesis's hooks file (the hooks at the end), loaded by the Schemathesis
process that test_fuzz_quay.py starts.

Environment:
  WHARF_FUZZ_EXAMPLES  how much to fuzz (default 10): Schemathesis's examples per operation, and a
                       fifth of the values drawn per request template in
                       test_fuzz_registry_portus.py
  WHARF_FUZZ_SEED      seed of the generated inputs (default: a new one each run, printed)
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import time
from typing import Dict, List, Optional, Sequence, Union

import pytest
import requests
import schemathesis

from conftest import OCI_MANIFEST, RegistrySession, WharfServer, sha256_digest

FUZZ_EXAMPLES = int(os.environ.get("WHARF_FUZZ_EXAMPLES", "10"))
FUZZ_SEED = int(os.environ.get("WHARF_FUZZ_SEED") or random.SystemRandom().randrange(2**32))

# A crashing debug binary prints its backtrace (which takes ~10 s) before it exits.
CRASH_WAIT = 60
CRASH_LINE = re.compile(r"Fatal error|Swift runtime failure|\*\*\* Signal \d+|Segmentation fault|crashed:")


def allowed_5xx(status: int, body: bytes) -> bool:
    """The one 5xx Wharf may answer: 501 with a JSON `message` saying the endpoint is not supported."""
    if status != 501:
        return False
    try:
        message = json.loads(body).get("message", "")
    except (ValueError, AttributeError):
        return False
    return isinstance(message, str) and "not supported" in message


def excerpt(data: Union[bytes, str, None], limit: int = 300) -> str:
    """A printable, bounded view of a request or response part."""
    if data is None:
        return "(none)"
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    shown = repr(raw[:limit])
    return shown + (f"…({len(raw)} bytes)" if len(raw) > limit else "")


def summary(capsys, line: str) -> None:
    """Prints a `FUZZ …` summary line to the terminal, also while pytest captures the test's output."""
    with capsys.disabled():
        print(f"\n{line}")


# --------------------------------------------------------------------------
# Is the server alive, and did it crash?


def crash_report(server: WharfServer) -> Optional[str]:
    """What the log says about a crash (headline and the crashed thread's top frames), and how the
    process ended; None while the process runs and its log shows no crash."""
    try:
        lines = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    found: List[str] = []
    i = 0
    while i < len(lines) and len(found) < 16:
        # A crash marker; for the crashed thread, its header and first frames.
        taken = (8 if lines[i].rstrip().endswith("crashed:") else 1) if CRASH_LINE.search(lines[i]) else 0
        found += lines[i:i + taken]
        i += max(taken, 1)
    proc = server.proc
    ended = proc is None or proc.poll() is not None
    if not found and not ended:
        return None
    code = None if proc is None else proc.returncode
    how = "running" if not ended else (
        f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exited with {code}")
    log = "\n".join(line[:240] for line in found) or "(no crash message in the log)"
    return f"wharf serve {how}; server log ({server.log_path}):\n{log}"


def last_logged_error(server: WharfServer) -> str:
    """The server's most recent error log line (what a 5xx answer was about)."""
    try:
        errors = [line for line in server.log_path.read_text(errors="replace").splitlines() if " error " in line]
    except OSError:
        errors = []
    return errors[-1][:300] if errors else "(no error logged)"


def wait_for_crash(server: WharfServer) -> Optional[str]:
    """After a request got no answer: the crash report once the process has ended, None if the
    server still answers (it only refused that one connection)."""
    deadline = time.monotonic() + CRASH_WAIT
    while time.monotonic() < deadline:
        if server.proc is None or server.proc.poll() is not None:
            return crash_report(server)
        try:
            requests.get(server.url + "/v2/", timeout=2)
            return crash_report(server)
        except requests.RequestException:
            time.sleep(0.5)
    return crash_report(server) or "wharf serve neither answers nor exits"


def assert_alive(server: WharfServer, after: str) -> None:
    """The server still runs, answers GET /v2/ without a 5xx, and logged no crash."""
    problem = None
    try:
        resp = requests.get(server.url + "/v2/", timeout=10)
        if resp.status_code >= 500:
            problem = f"GET /v2/ answered {resp.status_code} {excerpt(resp.content)}"
    except requests.RequestException as exc:
        problem = f"GET /v2/ failed: {exc}"
    crash = wait_for_crash(server) if problem else crash_report(server)
    if problem or crash:
        pytest.fail(f"server not healthy after {after}: {problem or ''}\n{crash or ''}", pytrace=False)


# --------------------------------------------------------------------------
# Seeding: accounts, tokens, images


def quay(server: WharfServer, token: Optional[str], method: str, path: str, **kw) -> requests.Response:
    """A Quay API call made while seeding, which must succeed."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = requests.request(method, f"{server.url}/api/v1{path}", headers=headers, timeout=30, **kw)
    assert resp.status_code in (200, 201, 204), f"seeding: {method} /api/v1{path} → {resp.status_code} {resp.text[:500]}"
    return resp


LAYER = b"fuzz layer\n"  # the one layer of the images pushed while seeding


def image_manifest(session: RegistrySession, repo: str, labels: Optional[Dict[str, str]] = None,
                   layer: bytes = LAYER) -> bytes:
    """Uploads a config (with `labels`) and one layer to `repo`; the OCI manifest naming them."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": labels or {}},
                         "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer)]}}).encode()
    return json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": session.upload_blob(repo, config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": session.upload_blob(repo, layer), "size": len(layer)}],
    }).encode()


def push_image(server: WharfServer, username: str, password: str, repo: str, tags: Sequence[str]) -> bytes:
    """Pushes a small image to `repo` under each tag (through /v2 with token auth); its manifest."""
    session = server.session(username, password)
    manifest = image_manifest(session, repo)
    for tag in tags:
        resp = session.put(f"/v2/{repo}/manifests/{tag}", data=manifest, headers={"Content-Type": OCI_MANIFEST})
        assert resp.status_code == 201, f"seeding: push {repo}:{tag} → {resp.status_code} {resp.text[:500]}"
    return manifest


# --------------------------------------------------------------------------
# Schemathesis hooks (this file is Schemathesis's hooks file in test_fuzz_quay.py's runs)

# Schemathesis never puts "/" in a path parameter, but Quay's `{repository}` is `namespace/name`:
# known repositories are given to it with this stand-in for the slash, put back before sending.
SLASH = "~~"


@schemathesis.hook
def before_load_schema(context, raw_schema):
    # A generated one-segment {repository} makes a path that another route owns, which Wharf rightly
    # answers with 405; documenting 405 stops Schemathesis from skipping an operation whose first
    # ten answers were all 405 (known values are drawn only in the fuzzing phase, after those).
    for item in raw_schema.get("paths", {}).values():
        for method, operation in item.items():
            if method != "parameters":
                operation.setdefault("responses", {}).setdefault("405", {"description": "Method not allowed"})


@schemathesis.hook
def before_call(context, case, kwargs):
    value = (case.path_parameters or {}).get("repository")
    if isinstance(value, str):
        case.path_parameters["repository"] = value.replace(SLASH, "/")
