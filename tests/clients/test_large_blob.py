"""A 2 GiB layer goes up and comes back down without the server holding it in memory."""
import hashlib
import os
import threading
import time

import pytest
import requests

from conftest import USERS, basic_header

SIZE_MIB = int(os.environ.get("WHARF_LARGE_BLOB_MIB", "2048"))
BLOCK = 1 << 20
# "A few tens of MiB": the server's resident memory may not grow by more than this during a transfer.
MAX_GROWTH_MIB = 64


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class PeakSampler:
    """Samples a process's resident memory every 50 ms on a background thread."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = rss_mib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def blocks(seed: bytes):
    """SIZE_MIB blocks of 1 MiB, each different, generated on the fly."""
    for index in range(SIZE_MIB):
        yield hashlib.sha256(seed + index.to_bytes(8, "big")).digest() * (BLOCK // 32)


@pytest.mark.skipif(bool(os.environ.get("WHARF_TEST_DB_URI")),
                    reason="blob streaming does not depend on the metadata database; run once, with SQLite")
def test_two_gib_layer_streams_through_bounded_memory(wharf):
    username = next(iter(USERS))
    auth = {"Authorization": basic_header(username, USERS[username])}
    repo = f"{username}/large"
    pid = wharf.proc.pid

    expected = hashlib.sha256()
    for block in blocks(b"wharf"):
        expected.update(block)
    digest = "sha256:" + expected.hexdigest()

    start = requests.post(f"{wharf.url}/v2/{repo}/blobs/uploads/", headers=auth, timeout=60)
    assert start.status_code == 202, start.text
    location = start.headers["Location"]
    if location.startswith("/"):
        location = wharf.url + location

    baseline = rss_mib(pid)
    with PeakSampler(pid) as upload:
        patched = requests.patch(location, data=blocks(b"wharf"), headers=auth, timeout=900)
    assert patched.status_code == 202, patched.text
    assert patched.headers["Range"] == f"0-{SIZE_MIB * BLOCK - 1}"
    done = requests.put(f"{location}?digest={digest}", headers=auth, timeout=300)
    assert done.status_code == 201, done.text
    assert upload.peak - baseline < MAX_GROWTH_MIB, f"upload grew RSS from {baseline:.0f} to {upload.peak:.0f} MiB"

    baseline = rss_mib(pid)
    received = hashlib.sha256()
    total = 0
    with PeakSampler(pid) as download:
        with requests.get(f"{wharf.url}/v2/{repo}/blobs/{digest}", headers=auth, stream=True, timeout=900) as response:
            assert response.status_code == 200
            assert int(response.headers["Content-Length"]) == SIZE_MIB * BLOCK
            for chunk in response.iter_content(chunk_size=BLOCK):
                received.update(chunk)
                total += len(chunk)
    assert total == SIZE_MIB * BLOCK
    assert "sha256:" + received.hexdigest() == digest
    assert download.peak - baseline < MAX_GROWTH_MIB, f"download grew RSS from {baseline:.0f} to {download.peak:.0f} MiB"
    print(f"\nlarge blob: {SIZE_MIB} MiB; upload RSS peak +{upload.peak - baseline:.1f} MiB; "
          f"download RSS peak +{download.peak - baseline:.1f} MiB")
