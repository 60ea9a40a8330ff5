"""Quay's time machine (tag history and restore) through skopeo and the Quay API.

In an organization of alice's, skopeo pushes two images A and B; the Quay API
moves tag v1 from A to B, deletes it, lists its history and restores it to A,
which skopeo then pulls. With the organization's window set to 0, a deleted
tag is gone for good: it can no longer be restored nor seen in the history.
"""

from __future__ import annotations

import re
from datetime import timezone
from email.utils import parsedate_to_datetime

import pytest

from conftest import build_image, describe, read_layout
from test_identity import api, mint_token
from test_skopeo import ALICE, creds, inspect, push

ORG = "timemachine"
REPO = f"{ORG}/app"
ROW_FIELDS = {"name", "reversion", "manifest_digest", "start_ts", "end_ts", "expiration",
              "is_manifest_list", "size", "last_modified"}


@pytest.fixture(scope="module")
def pushed(wharf, skopeo, tmp_path_factory):
    """The organization, alice's API token, and images A (`app:v1`) and B (`app:v2-source`)."""
    token = mint_token(wharf, "alice", "repo:read", "repo:write", "repo:create", "user:admin", "org:admin")
    created = api(wharf, token, "POST", "/organization/", json={"name": ORG, "email": f"{ORG}@example.com"})
    assert created.status_code == 201, created.text

    work = tmp_path_factory.mktemp("time-machine")
    layout = work / "layout"
    images = {
        "A": build_image(work, layout, "a", [{"a.txt": b"image A\n"}]),
        "B": build_image(work, layout, "b", [{"b.txt": b"image B, a little longer\n"}]),
    }
    assert images["A"]["digest"] != images["B"]["digest"]
    for tag, dest in (("a", "v1"), ("b", "v2-source")):
        proc = push(skopeo, wharf, layout, tag, f"{REPO}:{dest}", "--dest-creds", creds(ALICE))
        assert proc.returncode == 0, describe(proc)
    return {"token": token, "work": work, **images}


def history(wharf, token, **params):
    resp = api(wharf, token, "GET", f"/repository/{REPO}/tag/", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()["tags"]


def epoch(date: str) -> float:
    """Seconds since the epoch of a Quay date (RFC 2822, UTC written as `-0000`)."""
    return parsedate_to_datetime(date).replace(tzinfo=timezone.utc).timestamp()


def assert_row(row, image, *, ended, reversion=False):
    """One history row of tag v1 pointing at `image`, with Quay's fields and consistent dates."""
    assert set(row) == (ROW_FIELDS if ended else ROW_FIELDS - {"end_ts", "expiration"}), row
    assert row["name"] == "v1"
    assert row["manifest_digest"] == image["digest"]
    assert row["reversion"] is reversion
    assert row["is_manifest_list"] is False
    assert row["size"] == sum(layer["size"] for layer in image["manifest"]["layers"]), row
    assert epoch(row["last_modified"]) == row["start_ts"], row
    if ended:
        assert epoch(row["expiration"]) == row["end_ts"] >= row["start_ts"], row


def assert_v1_gone(skopeo, wharf):
    gone = inspect(skopeo, wharf, f"{REPO}:v1", "--creds", creds(ALICE))
    assert gone.returncode != 0, "deleted tag still inspectable:\n" + describe(gone)
    assert re.search(r"manifest unknown|not found|deleted or has expired", gone.stderr, re.IGNORECASE), describe(gone)


def test_move_delete_restore_then_window_closes(wharf, skopeo, pushed):
    token, a, b = pushed["token"], pushed["A"], pushed["B"]
    tag_path = f"/repository/{REPO}/tag/v1"

    # Move v1 from A to B, then delete it.
    moved = api(wharf, token, "PUT", tag_path, json={"manifest_digest": b["digest"]})
    assert moved.status_code == 201, moved.text
    deleted = api(wharf, token, "DELETE", tag_path)
    assert deleted.status_code == 204, deleted.text
    assert_v1_gone(skopeo, wharf)

    # Newest first: B (ended by the delete), then A (ended by the move, when B's row started).
    rows = history(wharf, token, specificTag="v1")
    assert [row["manifest_digest"] for row in rows] == [b["digest"], a["digest"]], rows
    assert_row(rows[0], b, ended=True)
    assert_row(rows[1], a, ended=True)
    assert rows[1]["end_ts"] == rows[0]["start_ts"], rows

    # Restore v1 to A (no alive tag points at A any more) and pull it.
    restored = api(wharf, token, "POST", f"{tag_path}/restore", json={"manifest_digest": a["digest"]})
    assert restored.status_code == 200, restored.text
    out = pushed["work"] / "pulled"
    pulled = skopeo("copy", "--src-tls-verify=false", "--src-creds", creds(ALICE),
                    f"docker://{wharf.host}/{REPO}:v1", f"oci:{out}:v1")
    assert pulled.returncode == 0, describe(pulled)
    assert read_layout(out, "v1")["digest"] == a["digest"]
    rows = history(wharf, token, specificTag="v1")
    assert [row["manifest_digest"] for row in rows] == [a["digest"], b["digest"], a["digest"]], rows
    assert_row(rows[0], a, ended=False, reversion=True)

    # Window 0: a deleted tag leaves the time machine at once.
    window = api(wharf, token, "PUT", f"/organization/{ORG}", json={"tag_expiration_s": 0})
    assert window.status_code == 200, window.text
    assert window.json()["tag_expiration_s"] == 0, window.text
    deleted = api(wharf, token, "DELETE", tag_path)
    assert deleted.status_code == 204, deleted.text
    too_late = api(wharf, token, "POST", f"{tag_path}/restore", json={"manifest_digest": a["digest"]})
    assert too_late.status_code == 404, too_late.text
    assert history(wharf, token, specificTag="v1") == []
    # Only the alive tag is left in the whole history.
    [alive] = history(wharf, token)
    assert (alive["name"], alive["manifest_digest"], "end_ts" in alive) == ("v2-source", b["digest"], False), alive
    assert_v1_gone(skopeo, wharf)
