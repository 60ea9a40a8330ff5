"""skopeo (and umoci-built OCI images) against a real wharf server."""

from __future__ import annotations

import json
import os
import re

import pytest
import requests

from conftest import (
    MANIFEST_ACCEPT,
    USERS,
    assert_oci_error,
    basic_header,
    build_image,
    describe,
    parse_www_authenticate,
    read_layout,
    sha256_digest,
)

ALICE = ("alice", USERS["alice"])
BOB = ("bob", USERS["bob"])

# What skopeo prints when the registry refuses it (401/403 or OCI error codes).
REFUSED = re.compile(
    r"unauthorized|denied|authentication required|forbidden|\b401\b|\b403\b|invalid username/password",
    re.IGNORECASE,
)


def creds(user: tuple[str, str]) -> str:
    return f"{user[0]}:{user[1]}"


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict:
    """Two images in one OCI layout: v1 with 3 layers, v2 with 2 different layers."""
    work = tmp_path_factory.mktemp("images")
    layout = work / "layout"
    v1 = build_image(
        work,
        layout,
        "v1",
        [
            {"etc/wharf/hello.txt": b"hello from layer 0\n", "etc/wharf/empty": b""},
            {"data/random.bin": os.urandom(64 * 1024)},
            {"bin/script.sh": b"#!/bin/sh\necho wharf\n", "share/doc/readme": b"layer 2\n" * 100},
        ],
    )
    v2 = build_image(
        work,
        layout,
        "v2",
        [
            {"v2/a.txt": b"image two\n"},
            {"v2/blob.bin": os.urandom(8 * 1024)},
        ],
    )
    assert len(set(v1["layers"])) == 3
    assert v1["digest"] != v2["digest"]
    return {"work": work, "layout": layout, "v1": v1, "v2": v2}


def push(skopeo, wharf, layout, tag, dest, *cred_args):
    return skopeo(
        "copy", "--dest-tls-verify=false", *cred_args,
        f"oci:{layout}:{tag}", f"docker://{wharf.host}/{dest}",
    )


def inspect(skopeo, wharf, ref, *cred_args, raw=False):
    return skopeo(
        "inspect", "--tls-verify=false", *cred_args, *(["--raw"] if raw else []),
        f"docker://{wharf.host}/{ref}",
    )


def assert_repo_not_created(wharf, repo):
    """After a refused push, the owner finds no such repository.

    Wharf may answer 404 NAME_UNKNOWN or, as Quay does for repositories that
    do not exist, 401/403; what must not happen is a 200 (a repository that a
    refused push created)."""
    resp = requests.get(f"{wharf.url}/v2/{repo}/tags/list",
                        headers={"Authorization": basic_header(*ALICE)}, timeout=30)
    assert resp.status_code in (401, 403, 404), (resp.status_code, resp.text)
    if resp.status_code == 404:
        assert_oci_error(resp, "NAME_UNKNOWN")


def assert_refused(proc):
    assert proc.returncode != 0, "expected the registry to refuse:\n" + describe(proc)
    assert REFUSED.search(proc.stderr), "refused, but not for an auth reason:\n" + describe(proc)


# ---------------------------------------------------------------------------
# the auth handshake clients rely on


def test_v2_challenge_and_token_endpoint(wharf):
    resp = wharf.get("/v2/")
    assert resp.status_code == 401
    scheme, params = parse_www_authenticate(resp.headers["WWW-Authenticate"])
    assert scheme == "Bearer"
    assert params["realm"] == f"{wharf.url}/v2/auth"
    assert params["service"] == wharf.host
    assert_oci_error(resp, "UNAUTHORIZED")

    # A token for alice, good for /v2/.
    tok = wharf.get(
        "/v2/auth",
        params={"service": wharf.host, "scope": "repository:alice/app:pull,push"},
        headers={"Authorization": basic_header(*ALICE)},
    )
    assert tok.status_code == 200, tok.text
    body = tok.json()
    token = body.get("token") or body.get("access_token")
    assert token
    ok = wharf.get("/v2/", headers={"Authorization": "Bearer " + token})
    assert ok.status_code == 200, ok.text

    # Basic credentials straight to /v2/ work too.
    assert wharf.get("/v2/", headers={"Authorization": basic_header(*ALICE)}).status_code == 200

    # Wrong password: no token.
    bad = wharf.get(
        "/v2/auth",
        params={"service": wharf.host, "scope": "repository:alice/app:pull"},
        headers={"Authorization": basic_header("mallory-token", "wrong-password")},
    )
    assert bad.status_code == 401, bad.text
    assert wharf.get("/v2/", headers={"Authorization": basic_header("mallory-token", "nope")}).status_code == 401


# ---------------------------------------------------------------------------
# push / pull / inspect / list-tags / delete


def test_copy_roundtrip_preserves_layers(skopeo, wharf, images):
    layout, v1 = images["layout"], images["v1"]
    proc = push(skopeo, wharf, layout, "v1", "alice/app:v1", "--dest-creds", creds(ALICE))
    assert proc.returncode == 0, describe(proc)

    out = images["work"] / "pulled"
    proc = skopeo(
        "copy", "--src-tls-verify=false", "--src-creds", creds(ALICE),
        f"docker://{wharf.host}/alice/app:v1", f"oci:{out}:pulled",
    )
    assert proc.returncode == 0, describe(proc)
    pulled = read_layout(out, "pulled")
    assert pulled["layers"] == v1["layers"]
    assert pulled["config"] == v1["config"]
    # Nothing was converted on the way: the manifest is the same bytes.
    assert pulled["digest"] == v1["digest"]
    assert pulled["manifest_bytes"] == v1["manifest_bytes"]
    # Every blob came back byte for byte.
    for digest in pulled["layers"] + [pulled["config"]]:
        algo, hexpart = digest.split(":")
        data = (out / "blobs" / algo / hexpart).read_bytes()
        assert sha256_digest(data) == digest
        assert data == (layout / "blobs" / algo / hexpart).read_bytes()


def test_inspect(skopeo, wharf, images):
    v1 = images["v1"]
    proc = push(skopeo, wharf, images["layout"], "v1", "alice/inspectme:v1", "--dest-creds", creds(ALICE))
    assert proc.returncode == 0, describe(proc)

    proc = inspect(skopeo, wharf, "alice/inspectme:v1", "--creds", creds(ALICE))
    assert proc.returncode == 0, describe(proc)
    info = json.loads(proc.stdout)
    assert info["Digest"] == v1["digest"]
    assert info["Layers"] == v1["layers"]
    assert info["Name"] == f"{wharf.host}/alice/inspectme"
    assert "v1" in info.get("RepoTags", [])
    assert info["Labels"] == {"org.example.wharf.test": "v1"}

    raw = inspect(skopeo, wharf, "alice/inspectme:v1", "--creds", creds(ALICE), raw=True)
    assert raw.returncode == 0, describe(raw)
    assert json.loads(raw.stdout) == v1["manifest"]
    assert sha256_digest(raw.stdout.encode()) == v1["digest"]

    # By digest too.
    proc = inspect(skopeo, wharf, f"alice/inspectme@{v1['digest']}", "--creds", creds(ALICE))
    assert proc.returncode == 0, describe(proc)
    assert json.loads(proc.stdout)["Digest"] == v1["digest"]


def test_list_tags(skopeo, wharf, images):
    layout = images["layout"]
    for tag in ("v1", "v2"):
        proc = push(skopeo, wharf, layout, tag, f"alice/tagged:{tag}", "--dest-creds", creds(ALICE))
        assert proc.returncode == 0, describe(proc)
    # The same image under a second tag.
    proc = push(skopeo, wharf, layout, "v1", "alice/tagged:latest", "--dest-creds", creds(ALICE))
    assert proc.returncode == 0, describe(proc)

    proc = skopeo("list-tags", "--tls-verify=false", "--creds", creds(ALICE),
                  f"docker://{wharf.host}/alice/tagged")
    assert proc.returncode == 0, describe(proc)
    listing = json.loads(proc.stdout)
    assert listing["Repository"] == f"{wharf.host}/alice/tagged"
    assert sorted(listing["Tags"]) == ["latest", "v1", "v2"]

    # Tags point at the right manifests.
    for tag, image in (("v1", images["v1"]), ("latest", images["v1"]), ("v2", images["v2"])):
        proc = inspect(skopeo, wharf, f"alice/tagged:{tag}", "--creds", creds(ALICE))
        assert proc.returncode == 0, describe(proc)
        assert json.loads(proc.stdout)["Digest"] == image["digest"]


def test_delete(skopeo, wharf, images):
    layout = images["layout"]
    for tag in ("v1", "v2"):
        proc = push(skopeo, wharf, layout, tag, f"alice/deleteme:{tag}", "--dest-creds", creds(ALICE))
        assert proc.returncode == 0, describe(proc)

    proc = skopeo("delete", "--tls-verify=false", "--creds", creds(ALICE),
                  f"docker://{wharf.host}/alice/deleteme:v1")
    assert proc.returncode == 0, describe(proc)

    gone = inspect(skopeo, wharf, "alice/deleteme:v1", "--creds", creds(ALICE))
    assert gone.returncode != 0, "deleted image still inspectable:\n" + describe(gone)
    # OCI's MANIFEST_UNKNOWN ("Tag v1 was deleted or has expired; the time machine can restore it").
    assert re.search(r"manifest unknown|not found|404|deleted or has expired", gone.stderr,
                     re.IGNORECASE), describe(gone)
    resp = requests.get(f"{wharf.url}/v2/alice/deleteme/manifests/v1",
                        headers={"Authorization": basic_header(*ALICE), "Accept": MANIFEST_ACCEPT}, timeout=30)
    assert resp.status_code == 404, resp.text
    assert_oci_error(resp, "MANIFEST_UNKNOWN")

    # The manifest is gone by digest as well.
    sess = wharf.session(*ALICE)
    resp = sess.get(f"/v2/alice/deleteme/manifests/{images['v1']['digest']}",
                    headers={"Accept": MANIFEST_ACCEPT})
    assert resp.status_code == 404, resp.text
    assert_oci_error(resp, "MANIFEST_UNKNOWN")

    # The other image in the repository is untouched.
    proc = inspect(skopeo, wharf, "alice/deleteme:v2", "--creds", creds(ALICE))
    assert proc.returncode == 0, describe(proc)
    assert json.loads(proc.stdout)["Digest"] == images["v2"]["digest"]
    proc = skopeo("list-tags", "--tls-verify=false", "--creds", creds(ALICE),
                  f"docker://{wharf.host}/alice/deleteme")
    assert proc.returncode == 0, describe(proc)
    assert json.loads(proc.stdout)["Tags"] == ["v2"]


# ---------------------------------------------------------------------------
# refusals


def test_anonymous_push_refused(skopeo, wharf, images):
    proc = push(skopeo, wharf, images["layout"], "v1", "alice/anon:v1", "--dest-no-creds")
    assert_refused(proc)
    assert_repo_not_created(wharf, "alice/anon")


def test_push_to_other_users_namespace_refused(skopeo, wharf, images):
    proc = push(skopeo, wharf, images["layout"], "v1", "alice/from-bob:v1", "--dest-creds", creds(BOB))
    assert_refused(proc)
    assert_repo_not_created(wharf, "alice/from-bob")

    # Directly: bob with Basic credentials starting an upload in alice's namespace.
    resp = requests.post(
        f"{wharf.url}/v2/alice/from-bob/blobs/uploads/",
        headers={"Authorization": basic_header(*BOB)},
        timeout=30,
    )
    assert resp.status_code in (401, 403), resp.text
    assert_oci_error(resp, "UNAUTHORIZED", "DENIED")

    # Bob can push to his own namespace.
    proc = push(skopeo, wharf, images["layout"], "v1", "bob/mine:v1", "--dest-creds", creds(BOB))
    assert proc.returncode == 0, describe(proc)


def test_wrong_password_refused(skopeo, wharf, images):
    proc = push(skopeo, wharf, images["layout"], "v1", "alice/badpw:v1",
                "--dest-creds", "mallory-skopeo:not-the-password")
    assert_refused(proc)
    proc = push(skopeo, wharf, images["layout"], "v1", "alice/badpw:v1",
                "--dest-creds", "nosuchuser:whatever")
    assert_refused(proc)
    assert_repo_not_created(wharf, "alice/badpw")


def test_private_repo_not_pullable_by_others(skopeo, wharf, images):
    proc = push(skopeo, wharf, images["layout"], "v1", "alice/private:v1", "--dest-creds", creds(ALICE))
    assert proc.returncode == 0, describe(proc)

    assert_refused(inspect(skopeo, wharf, "alice/private:v1", "--no-creds"))
    assert_refused(inspect(skopeo, wharf, "alice/private:v1", "--creds", creds(BOB)))
    out = images["work"] / "anon-pull"
    proc = skopeo("copy", "--src-tls-verify=false", "--src-no-creds",
                  f"docker://{wharf.host}/alice/private:v1", f"oci:{out}:x")
    assert_refused(proc)

    # Plain HTTP: anonymous manifest and blob reads are 401 with a challenge.
    v1 = images["v1"]
    for path in ("/v2/alice/private/manifests/v1", f"/v2/alice/private/blobs/{v1['layers'][0]}"):
        resp = wharf.get(path, headers={"Accept": MANIFEST_ACCEPT})
        assert resp.status_code == 401, (path, resp.status_code, resp.text)
        scheme, params = parse_www_authenticate(resp.headers["WWW-Authenticate"])
        assert scheme == "Bearer"
        assert params.get("scope") == "repository:alice/private:pull", resp.headers["WWW-Authenticate"]

    # The owner still can.
    proc = inspect(skopeo, wharf, "alice/private:v1", "--creds", creds(ALICE))
    assert proc.returncode == 0, describe(proc)


# ---------------------------------------------------------------------------
# first user via /api/v1/user/initialize, then $oauthtoken credentials


def test_initialize_and_oauth_token(skopeo, wharf_factory, images):
    server = wharf_factory(users={})  # a fresh server with no users at all
    resp = requests.post(
        f"{server.url}/api/v1/user/initialize",
        json={"username": "admin", "password": "admin-Pa55word!", "email": "admin@example.com",
              "access_token": True},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    token = body.get("access_token")
    assert isinstance(token, str) and token, body

    # Only while there are no users.
    again = requests.post(
        f"{server.url}/api/v1/user/initialize",
        json={"username": "admin2", "password": "admin2-Pa55word!", "email": "admin2@example.com",
              "access_token": True},
        timeout=30,
    )
    assert again.status_code != 200, again.text
    assert again.status_code in (400, 401, 403, 409), again.text
    assert "access_token" not in again.text

    oauth = f"$oauthtoken:{token}"
    proc = push(skopeo, server, images["layout"], "v1", "admin/app:v1", "--dest-creds", oauth)
    assert proc.returncode == 0, describe(proc)
    proc = inspect(skopeo, server, "admin/app:v1", "--creds", oauth)
    assert proc.returncode == 0, describe(proc)
    info = json.loads(proc.stdout)
    assert info["Digest"] == images["v1"]["digest"]
    assert info["Layers"] == images["v1"]["layers"]

    # The password works as well, a wrong token does not.
    proc = inspect(skopeo, server, "admin/app:v1", "--creds", "admin:admin-Pa55word!")
    assert proc.returncode == 0, describe(proc)
    assert_refused(inspect(skopeo, server, "admin/app:v1", "--creds", "$oauthtoken:" + "x" * 40))

    # The token endpoint takes it as Basic $oauthtoken:<token>.
    tok = requests.get(
        f"{server.url}/v2/auth",
        params={"service": server.host, "scope": "repository:admin/app:pull"},
        headers={"Authorization": basic_header("$oauthtoken", token)},
        timeout=30,
    )
    assert tok.status_code == 200, tok.text
