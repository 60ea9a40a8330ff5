"""Crash recovery: a registry killed with SIGKILL in the middle of pushes comes back consistent.

Each round (re)starts one server on the same data directory and database, lets PUSHERS threads push
small images (each blob uploaded monolithically, in Content-Range chunks or as one streamed PATCH),
kills the server with SIGKILL after a random delay, restarts it and checks that
  - every blob file in storage hashes to its name (no partial or corrupt blob is ever visible),
  - every tag resolves to a manifest whose blobs are all served with the right bytes,
  - every blob that got 201 is still served (those of a manifest that got 201 must be),
  - every upload the kill cut off can be finished (201) or is gone (404 BLOB_UPLOAD_UNKNOWN),
  - the server did not crash on its own.
A second test makes, on disk, the state a kill in the final PUT leaves (blob in place, session row left)
and retries that PUT.

Environment:
  WHARF_CRASH_ROUNDS  number of rounds (default 6)
  WHARF_CRASH_SEED    seed of the random choices (default: a new one; printed, so a run can be replayed;
                      thread timing still decides exactly which requests a kill cuts off)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import secrets
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import requests

from conftest import MANIFEST_ACCEPT, OCI_MANIFEST, USERS, assert_oci_error, basic_header, sha256_digest

ROUNDS = int(os.environ.get("WHARF_CRASH_ROUNDS", "6"))
PUSHERS = 4
USER = "alice"
KINDS = ("monolithic", "chunked", "streamed")
MAX_LAYER = 256 * 1024
KILL_DELAY = (0.3, 3.0)
CRASH_IN_LOG = re.compile(r"Fatal error|Program crashed|Stack dump|Segmentation fault|Illegal instruction")


class UnexpectedAnswer(Exception):
    """The server answered a pusher's request, but not as it should have."""


def expect(resp: requests.Response, status: int, what: str) -> None:
    if resp.status_code != status:
        raise UnexpectedAnswer(f"{what}: expected {status}, got {resp.status_code} {resp.text[:300]}")


class Client:
    """Talks to the server as USER with one Bearer token for `repos` (asking for push creates them)."""

    def __init__(self, server, repos: List[str]):
        self.server = server
        self.http = requests.Session()
        resp = self.http.get(
            server.url + "/v2/auth", timeout=30,
            params={"service": server.host, "scope": [f"repository:{r}:push,pull" for r in repos]},
            headers={"Authorization": basic_header(USER, USERS[USER])})
        expect(resp, 200, "token")
        self.http.headers["Authorization"] = "Bearer " + resp.json()["token"]

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 30)
        return self.http.request(method, path if path.startswith("http") else self.server.url + path, **kw)

    def paged(self, path: str, key: str) -> List[str]:
        """All items of a paginated listing, following its `Link: <…>; rel="next"` headers."""
        items: List[str] = []
        while path:
            resp = self.request("GET", path)
            expect(resp, 200, f"GET {path}")
            items += resp.json()[key] or []
            path = resp.links.get("next", {}).get("url")
        return items


@dataclass
class Upload:
    round: int
    repo: str
    kind: str
    location: str
    data: bytes
    finished: bool = False

    def __str__(self) -> str:
        return f"{self.kind} upload {self.location} ({len(self.data)} bytes)"


@dataclass
class Ledger:
    """What the pushers believe happened, from the answers they got."""
    uploads: List[Upload] = field(default_factory=list)
    blobs: Dict[Tuple[str, str], bytes] = field(default_factory=dict)  # (repo, digest) → bytes; got 201
    referenced: Set[Tuple[str, str]] = field(default_factory=set)      # blobs of manifests that got 201
    tags: Dict[Tuple[str, str], str] = field(default_factory=dict)     # (repo, tag) → manifest digest
    errors: List[Tuple[int, str]] = field(default_factory=list)        # (round, unexpected answer)


def chunk_bounds(rng: random.Random, size: int) -> List[Tuple[int, int]]:
    """2–4 chunks (fewer for tiny blobs), each of at least 2 bytes. The server reports an empty upload
    as `Range: 0-0`, like one of 1 byte; with such chunks an upload never holds exactly 1 byte."""
    count = min(rng.randint(2, 4), size // 2)
    cuts = sorted(rng.sample(range(1, size // 2), count - 1))
    bounds = [0, *(2 * c for c in cuts), size]
    return list(zip(bounds, bounds[1:]))


def trickle(data: bytes):
    """The body of a streamed PATCH, sent like a slow client, so that kills also land mid-stream."""
    for start in range(0, len(data), 16384):
        yield data[start:start + 16384]
        time.sleep(0.002)


class Pusher(threading.Thread):
    """Pushes images into one repository until the server goes away, recording every answer."""

    def __init__(self, server, repo: str, rng: random.Random, ledger: Ledger, round_no: int):
        super().__init__(daemon=True)
        self.server, self.repo, self.rng, self.ledger, self.round = server, repo, rng, ledger, round_no
        self.phase = "token"  # the request in flight, for the round report

    def run(self) -> None:
        try:
            client = Client(self.server, [self.repo])
            for image in itertools.count():
                self.push_image(client, f"r{self.round}-{image}")
        except requests.RequestException:
            pass  # the server was killed
        except UnexpectedAnswer as exc:
            self.ledger.errors.append((self.round, f"{self.repo}: {exc}"))
        self.phase = "stopped"

    def push_image(self, client: Client, tag: str) -> None:
        layers = [self.rng.randbytes(self.rng.randint(2, MAX_LAYER)) for _ in range(self.rng.randint(1, 3))]
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "config": {"Labels": {"tag": tag}},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer) for layer in layers]},
        }).encode()
        for blob in (config, *layers):
            self.upload(client, blob)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": sha256_digest(config), "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": sha256_digest(layer), "size": len(layer)} for layer in layers],
        }).encode()
        self.phase = "manifest PUT"
        resp = client.request("PUT", f"/v2/{self.repo}/manifests/{tag}", data=manifest,
                              headers={"Content-Type": OCI_MANIFEST})
        expect(resp, 201, f"PUT manifest {tag}")
        self.ledger.tags[(self.repo, tag)] = sha256_digest(manifest)
        self.ledger.referenced.update((self.repo, sha256_digest(blob)) for blob in (config, *layers))

    def upload(self, client: Client, data: bytes) -> None:
        kind = self.rng.choice(KINDS)
        digest = sha256_digest(data)
        self.phase = f"{kind} POST"
        resp = client.request("POST", f"/v2/{self.repo}/blobs/uploads/")
        expect(resp, 202, "start upload")
        upload = Upload(self.round, self.repo, kind, resp.headers["Location"], data)
        self.ledger.uploads.append(upload)
        if kind == "chunked":
            self.phase = "chunked PATCH"
            for start, end in chunk_bounds(self.rng, len(data)):
                resp = client.request("PATCH", upload.location, data=data[start:end],
                                      headers={"Content-Range": f"{start}-{end - 1}"})
                expect(resp, 202, f"PATCH {start}-{end - 1} of {upload}")
        elif kind == "streamed":
            self.phase = "streamed PATCH"
            resp = client.request("PATCH", upload.location, data=trickle(data))  # Transfer-Encoding: chunked
            expect(resp, 202, f"streamed PATCH of {upload}")
        self.phase = f"{kind} final PUT"
        resp = client.request("PUT", f"{upload.location}?digest={digest}",
                              data=data if kind == "monolithic" else b"")
        expect(resp, 201, f"final PUT of {upload}")
        upload.finished = True
        self.ledger.blobs[(self.repo, digest)] = data


def kill(server) -> Optional[str]:
    """Kills the server with SIGKILL; returns a failure if it had already died on its own."""
    exited = server.proc.poll()
    if exited is None:
        os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    server._log_file.close()  # start() opens the log again
    return None if exited is None else f"the server had exited on its own with {exited}"


# --------------------------------------------------------------------------
# checks after a restart; each returns a summary for the round report and adds to `failures`


def check_blob_files(server, failures: List[str]) -> str:
    files = [p for p in (server.data_dir / "storage" / "blobs").rglob("*") if p.is_file()]
    for path in files:
        if hashlib.sha256(path.read_bytes()).hexdigest() != path.name:
            failures.append(f"blob file {path} ({path.stat().st_size} bytes) does not hash to its name")
    return f"{len(files)} blob files"


def check_served(server, ledger: Ledger, failures: List[str]) -> str:
    repos = [r for r in Client(server, []).paged("/v2/_catalog", "repositories") if r.startswith(USER + "/")]
    client = Client(server, repos)
    fetched: Dict[Tuple[str, str], requests.Response] = {}

    def blob(repo: str, digest: str) -> requests.Response:
        if (repo, digest) not in fetched:
            fetched[(repo, digest)] = client.request("GET", f"/v2/{repo}/blobs/{digest}")
        return fetched[(repo, digest)]

    listed = set()
    for repo in repos:
        for tag in client.paged(f"/v2/{repo}/tags/list", "tags"):
            listed.add((repo, tag))
            resp = client.request("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT})
            digest = sha256_digest(resp.content)
            if resp.status_code != 200 or resp.headers.get("Docker-Content-Digest") != digest:
                failures.append(f"{repo}:{tag}: manifest GET {resp.status_code}, "
                                f"digest {resp.headers.get('Docker-Content-Digest')} for bytes {digest}")
                continue
            if ledger.tags.get((repo, tag), digest) != digest:
                failures.append(f"{repo}:{tag} is {digest}, pushed as {ledger.tags[(repo, tag)]}")
            manifest = resp.json()
            for ref in [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]:
                got = blob(repo, ref)
                if got.status_code != 200 or sha256_digest(got.content) != ref:
                    failures.append(f"{repo}:{tag}: blob {ref} answers {got.status_code} "
                                    f"with bytes {sha256_digest(got.content)}")
    for repo, tag in ledger.tags.keys() - listed:
        failures.append(f"{repo}:{tag} got 201 but is not in tags/list")
    for (repo, digest), data in ledger.blobs.items():
        got = blob(repo, digest)
        right = got.status_code == 200 and got.content == data
        # A blob no tagged manifest references may be gone, but never served with other bytes.
        if not right and ((repo, digest) in ledger.referenced or got.status_code != 404):
            failures.append(f"{repo}: blob {digest} got 201 but answers {got.status_code} "
                            f"with {len(got.content)} bytes hashing to {sha256_digest(got.content)}")
    return f"{len(listed)} tags, {len(fetched)} blob GETs"


def finish_upload(client: Client, upload: Upload, ledger: Ledger, failures: List[str]) -> str:
    """Finishes an upload the kill cut off, sending what its status says is missing; returns the outcome."""
    status = client.request("GET", upload.location)
    received = 0
    if status.status_code == 204:
        last = int(status.headers["Range"].rpartition("-")[2])
        received = last + 1 if last else 0  # "0-0" is an empty upload (chunk_bounds: never 1 byte)
    elif status.status_code != 404:
        failures.append(f"{upload}: status GET answered {status.status_code} {status.text[:200]}")
        return f"{upload.kind} status {status.status_code}"
    state = "gone" if status.status_code == 404 else (
        "empty" if received == 0 else "complete" if received == len(upload.data) else "partial")
    if received > len(upload.data):
        failures.append(f"{upload}: status says {received} bytes received")
        return f"{upload.kind} {state}: oversized"
    digest = sha256_digest(upload.data)
    resp = client.request("PUT", f"{upload.location}?digest={digest}", data=upload.data[received:])
    if resp.status_code == 201:
        got = client.request("GET", f"/v2/{upload.repo}/blobs/{digest}")
        if got.status_code != 200 or got.content != upload.data:
            failures.append(f"{upload}: finished (201) but the blob answers {got.status_code}")
        ledger.blobs[(upload.repo, digest)] = upload.data
    elif resp.status_code == 404:
        try:
            assert_oci_error(resp, "BLOB_UPLOAD_UNKNOWN")
        except AssertionError as exc:
            failures.append(f"{upload}: PUT ?digest= answered 404 but {exc}")
    else:
        failures.append(f"{upload}: status {status.status_code} "
                        f"Range {status.headers.get('Range')}; PUT ?digest= with the {len(upload.data) - received} "
                        f"missing bytes answered {resp.status_code} {resp.text[:200]} "
                        f"({disk_state(client.server, upload)})")
    return f"{upload.kind} {state}→{resp.status_code}"


def disk_state(server, upload: Upload) -> str:
    """Whether the upload's staged parts and its blob file exist, to tell which step the kill interrupted."""
    storage = server.data_dir / "storage"
    hexdigest = sha256_digest(upload.data)[7:]
    staged = (storage / "uploads" / upload.location.rpartition("/")[2]).exists()
    blob = (storage / "blobs" / "sha256" / hexdigest[:2] / hexdigest).exists()
    return f"staged parts {'present' if staged else 'gone'}, blob file {'present' if blob else 'absent'}"


def check_no_crash(server, offset: int, failures: List[str]) -> None:
    """The server still runs and wrote no crash report into its log since `offset`."""
    if server.proc.poll() is not None:
        failures.append(f"the server exited on its own with {server.proc.returncode}")
    with open(server.log_path, "rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    for line in text.splitlines():
        if CRASH_IN_LOG.search(line):
            failures.append(f"server log: {line}")


def counts(counter: Counter) -> str:
    return ", ".join(f"{key}×{n}" for key, n in sorted(counter.items())) or "none"


# --------------------------------------------------------------------------


def test_pushes_survive_sigkill(wharf_factory):
    seed = int(os.environ.get("WHARF_CRASH_SEED") or secrets.randbits(32))
    print(f"\nkill recovery: WHARF_CRASH_SEED={seed}, {ROUNDS} rounds, {PUSHERS} pushers")
    rng = random.Random(seed)
    server = wharf_factory(users={USER: USERS[USER]})
    repos = [f"{USER}/crash-{i}" for i in range(PUSHERS)]
    ledger = Ledger()
    failures: List[str] = []
    for round_no in range(1, ROUNDS + 1):
        round_failures: List[str] = []
        log_offset = server.log_path.stat().st_size
        # Each pusher draws from its own generator, so a seed replays each one's choices whatever the timing.
        pushers = [Pusher(server, repo, random.Random(rng.getrandbits(64)), ledger, round_no) for repo in repos]
        for pusher in pushers:
            pusher.start()
        delay = rng.uniform(*KILL_DELAY)
        time.sleep(delay)
        in_flight = Counter(pusher.phase for pusher in pushers)
        if died := kill(server):
            round_failures.append(died)
        for pusher in pushers:
            pusher.join(60)
            if pusher.is_alive():
                round_failures.append(f"pusher of {pusher.repo} still running a minute after the kill")
        server.start()

        round_failures += [error for r, error in ledger.errors if r == round_no]
        files = check_blob_files(server, round_failures)
        unfinished = [u for u in ledger.uploads if u.round == round_no and not u.finished]
        client = Client(server, repos)
        outcomes = Counter(finish_upload(client, upload, ledger, round_failures) for upload in unfinished)
        served = check_served(server, ledger, round_failures)  # after finish_upload: its 201s are checked too
        check_no_crash(server, log_offset, round_failures)
        round_uploads = [u for u in ledger.uploads if u.round == round_no]
        print(f"round {round_no}: kill after {delay:.2f} s; in flight: {counts(in_flight)}; "
              f"{len(round_uploads)} uploads started, {len(round_uploads) - len(unfinished)} finished, "
              f"{sum(tag.startswith(f'r{round_no}-') for _, tag in ledger.tags)} images tagged; "
              f"cut-off uploads: {counts(outcomes)}; verified {files}, {served}; "
              f"{len(round_failures)} failures")
        for failure in round_failures:
            print("  FAIL", failure)
        failures += [f"round {round_no}: {failure}" for failure in round_failures]
    assert not failures, f"WHARF_CRASH_SEED={seed}: {len(failures)} failures:\n" + "\n".join(failures[:40])


def test_upload_cut_off_in_final_put_can_be_finished(wharf_factory):
    """A kill between the final PUT's commit (staged part moved to its blob path) and the deletion of
    the session row, made on disk without timing luck: the upload holds all its bytes, its staged file
    is gone, its blob is in place. Retrying the PUT must link the blob (201) or report the upload gone
    (404 BLOB_UPLOAD_UNKNOWN)."""
    server = wharf_factory(users={USER: USERS[USER]})
    repo = f"{USER}/cut-off"
    client = Client(server, [repo])
    data = os.urandom(100_000)
    digest = sha256_digest(data)
    start = client.request("POST", f"/v2/{repo}/blobs/uploads/")
    assert start.status_code == 202, start.text
    location = start.headers["Location"]
    patched = client.request("PATCH", location, data=data)
    assert patched.status_code == 202 and patched.headers["Range"] == f"0-{len(data) - 1}", patched.text

    assert kill(server) is None
    storage = server.data_dir / "storage"
    blob_path = storage / "blobs" / "sha256" / digest[7:9] / digest[7:]
    blob_path.parent.mkdir(parents=True, exist_ok=True)
    parts = list((storage / "uploads" / start.headers["Docker-Upload-UUID"]).iterdir())
    assert len(parts) == 1, parts
    parts[0].rename(blob_path)
    server.start()

    status = client.request("GET", location)
    assert status.status_code in (204, 404), f"status GET: {status.status_code} {status.text}"
    done = client.request("PUT", f"{location}?digest={digest}")
    if done.status_code == 201:
        got = client.request("GET", f"/v2/{repo}/blobs/{digest}")
        assert got.status_code == 200 and got.content == data, f"blob GET after 201: {got.status_code}"
    else:
        assert done.status_code == 404, (
            f"retried PUT ?digest= after the status GET answered {status.status_code} "
            f"(Range {status.headers.get('Range')}): {done.status_code} {done.text}")
        assert_oci_error(done, "BLOB_UPLOAD_UNKNOWN")
