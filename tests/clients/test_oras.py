"""The oras Python SDK against a real wharf server: artifacts and the referrers API."""

from __future__ import annotations

import json
import os
import types
from pathlib import Path

import pytest

import oras.client as oras_client  # pip install oras (see .ci/run)
import oras.decorator
import oras.oci

from conftest import (
    MANIFEST_ACCEPT,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
    USERS,
    assert_oci_error,
    basic_header,
    parse_www_authenticate,
    sha256_digest,
)

ALICE = ("alice", USERS["alice"])
BOB = ("bob", USERS["bob"])

DATA_TYPE = "application/vnd.wharf.test.data"
SIG_ARTIFACT = "application/vnd.wharf.test.signature"
SBOM_ARTIFACT = "application/vnd.wharf.test.sbom"
REPO = "alice/artifact"


class Oras:
    """An OrasClient logged in as one user, with its own docker config file."""

    def __init__(self, wharf, user, workdir: Path, auth_backend: str = "token"):
        self.wharf = wharf
        self.config = workdir / f"docker-config-{user[0]}-{os.urandom(4).hex()}.json"
        self.client = oras_client.OrasClient(
            hostname=wharf.host, insecure=True, tls_verify=False, auth_backend=auth_backend,
        )
        result = self.client.login(
            username=user[0], password=user[1], hostname=wharf.host,
            tls_verify=False, config_path=str(self.config),
        )
        assert "Succeeded" in str(result), result

    def target(self, ref: str) -> str:
        return f"{self.wharf.host}/{ref}"

    def push(self, ref: str, files, **kw):
        return self.client.push(
            target=self.target(ref), files=[str(f) for f in files],
            disable_path_validation=True, config_path=str(self.config), quiet=True, **kw,
        )

    def pull(self, ref: str, outdir: Path):
        return self.client.pull(target=self.target(ref), outdir=str(outdir), config_path=str(self.config))


@pytest.fixture(scope="module", autouse=True)
def _no_docker_daemon(tmp_path_factory):
    # OrasClient.login first tries the docker SDK (if installed) against a
    # daemon; make that fail fast so the SDK's own login is used, and keep the
    # default docker config (~/.docker/config.json) out of the way.
    home = tmp_path_factory.mktemp("oras-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCKER_HOST", f"unix://{home}/no-docker.sock")
        mp.setenv("HOME", str(home))
        yield


@pytest.fixture
def no_retry_sleep(monkeypatch):
    """The SDK retries a failed request 5 times with sleeps of up to 83 s; a
    refused request is expected here, so do the retries without sleeping."""
    monkeypatch.setattr(oras.decorator, "time", types.SimpleNamespace(sleep=lambda _s: None))


@pytest.fixture
def alice_oras(wharf, tmp_path):
    return Oras(wharf, ALICE, tmp_path)


@pytest.fixture(scope="module")
def subject(wharf, tmp_path_factory):
    """A first artifact in alice/artifact:v1, pushed with the SDK."""
    work = tmp_path_factory.mktemp("oras-subject")
    payload = work / "payload.bin"
    payload.write_bytes(b"wharf artifact payload\n" + os.urandom(4096))
    client = Oras(wharf, ALICE, work)
    resp = client.push(f"{REPO}:v1", [f"{payload}:{DATA_TYPE}"],
                       manifest_annotations={"org.example.wharf.kind": "payload"})
    assert resp.status_code == 201, resp.text
    digest = resp.headers.get("Docker-Content-Digest")
    assert digest and digest.startswith("sha256:"), dict(resp.headers)
    assert "OCI-Subject" not in resp.headers

    raw = wharf.session(*ALICE).get(f"/v2/{REPO}/manifests/v1", headers={"Accept": MANIFEST_ACCEPT})
    assert raw.status_code == 200, raw.text
    assert raw.headers["Content-Type"].startswith(OCI_MANIFEST)
    assert raw.headers["Docker-Content-Digest"] == digest
    assert sha256_digest(raw.content) == digest
    return {
        "payload": payload,
        "digest": digest,
        "size": len(raw.content),
        "manifest": raw.json(),
        "work": work,
    }


def test_insufficient_scope_is_401_then_403_for_the_same_token(wharf):
    """A valid token that lacks an action gets 401 with `error="insufficient_scope"` and a challenge
    naming the needed scope, as distribution and Quay answer (clients that cache tokens, such as
    containerd and the OCI conformance suite, ask for a new one only on a 401); the same token sent
    again gets 403 DENIED with the same challenge.

    oras-py's token auth needs the second answer: it asks for a token with the scope of the first 401
    it sees; a push starts with HEAD on the blob, so it holds a pull-only token when it POSTs the
    upload. On a 401 it retries with the token it has, and asks for a new token only on a 403.
    Anonymous or invalid credentials stay 401.
    """
    repo = "alice/scopecheck"
    tok = wharf.get("/v2/auth", params={"service": wharf.host, "scope": f"repository:{repo}:pull"},
                    headers={"Authorization": basic_header(*ALICE)})
    assert tok.status_code == 200, tok.text
    token = tok.json().get("token") or tok.json().get("access_token")

    for status, code in ((401, "UNAUTHORIZED"), (403, "DENIED")):
        resp = wharf.post_raw(f"/v2/{repo}/blobs/uploads/", headers={"Authorization": "Bearer " + token})
        assert resp.status_code == status, (resp.status_code, resp.text, dict(resp.headers))
        assert_oci_error(resp, code)
        scheme, params = parse_www_authenticate(resp.headers.get("WWW-Authenticate", ""))
        assert scheme == "Bearer", dict(resp.headers)
        assert params["realm"] == f"{wharf.url}/v2/auth"
        assert params["error"] == "insufficient_scope", dict(resp.headers)
        resource, name, actions = params["scope"].split(":")
        assert (resource, name) == ("repository", repo)
        assert {"pull", "push"} <= set(actions.split(",")), params["scope"]

    # With no credentials at all it is a plain 401 challenge.
    anon = wharf.post_raw(f"/v2/{repo}/blobs/uploads/")
    assert anon.status_code == 401, anon.text


def test_push_and_pull_artifact(wharf, subject, alice_oras, tmp_path):
    manifest = subject["manifest"]
    assert manifest["schemaVersion"] == 2
    assert manifest["annotations"]["org.example.wharf.kind"] == "payload"
    [layer] = manifest["layers"]
    data = subject["payload"].read_bytes()
    assert layer["mediaType"] == DATA_TYPE
    assert layer["digest"] == sha256_digest(data)
    assert layer["size"] == len(data)

    out = tmp_path / "out"
    files = alice_oras.pull(f"{REPO}:v1", out)
    assert [Path(f).name for f in files] == ["payload.bin"]
    assert Path(files[0]).read_bytes() == data

    # Also by digest.
    out2 = tmp_path / "out2"
    files = alice_oras.pull(f"{REPO}@{subject['digest']}", out2)
    assert Path(files[0]).read_bytes() == data


def test_basic_auth_backend(wharf, tmp_path, no_retry_sleep):
    """The SDK's "basic" backend sends Basic credentials to /v2/ endpoints directly."""
    f = tmp_path / "basic.txt"
    f.write_bytes(b"pushed with basic auth\n" + os.urandom(512))
    client = Oras(wharf, ALICE, tmp_path, auth_backend="basic")
    resp = client.push("alice/basic:v1", [f])
    assert resp.status_code == 201, resp.text
    files = client.pull("alice/basic:v1", tmp_path / "out")
    assert Path(files[0]).read_bytes() == f.read_bytes()

    bob = Oras(wharf, BOB, tmp_path, auth_backend="basic")
    with pytest.raises(ValueError):
        bob.pull("alice/basic:v1", tmp_path / "bob-out")
    with pytest.raises(ValueError):
        bob.push("alice/basic:from-bob", [f])


def test_chunked_push(wharf, alice_oras, tmp_path):
    big = tmp_path / "big.bin"
    data = os.urandom(300 * 1024 + 17)
    big.write_bytes(data)
    resp = alice_oras.push("alice/chunked:v1", [big], do_chunked=True, chunk_size=64 * 1024)
    assert resp.status_code == 201, resp.text
    blob = wharf.session(*ALICE).get(f"/v2/alice/chunked/blobs/{sha256_digest(data)}")
    assert blob.status_code == 200
    assert blob.content == data
    files = alice_oras.pull("alice/chunked:v1", tmp_path / "out")
    assert Path(files[0]).read_bytes() == data


def test_refused_without_rights(wharf, subject, tmp_path, no_retry_sleep):
    f = tmp_path / "x.txt"
    f.write_text("nope")
    bob = Oras(wharf, BOB, tmp_path)
    with pytest.raises(ValueError):
        bob.push(f"{REPO}:from-bob", [f])
    with pytest.raises(ValueError):
        bob.pull(f"{REPO}:v1", tmp_path / "bob-out")

    wrong = Oras(wharf, ("mallory-oras", "wrong-password"), tmp_path)
    with pytest.raises(ValueError):
        wrong.pull(f"{REPO}:v1", tmp_path / "wrong-out")
    with pytest.raises(ValueError):
        wrong.push(f"{REPO}:wrong", [f])

    tags = wharf.session(*ALICE).get(f"/v2/{REPO}/tags/list")
    assert tags.status_code == 200, tags.text
    assert "from-bob" not in tags.json()["tags"]
    assert "wrong" not in tags.json()["tags"]


def test_referrers(wharf, subject, alice_oras, tmp_path):
    subj = oras.oci.Subject(mediaType=OCI_MANIFEST, digest=subject["digest"], size=subject["size"])

    # 1. A signature pushed with the SDK's subject= support. It has no
    #    artifactType, so the referrers API must report its config mediaType.
    sig = tmp_path / "signature.txt"
    sig.write_bytes(b"signed: " + subject["digest"].encode())
    sig_config = tmp_path / "sig-config.json"
    sig_config.write_text('{"signer": "alice"}')
    resp = alice_oras.push(
        f"{REPO}:sig", [f"{sig}:application/vnd.wharf.test.signature.payload"],
        subject=subj,
        manifest_config=f"{sig_config}:{SIG_ARTIFACT}",
        manifest_annotations={"org.example.wharf.kind": "signature"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers.get("OCI-Subject") == subject["digest"], dict(resp.headers)
    sig_digest = resp.headers["Docker-Content-Digest"]
    sig_raw = wharf.session(*ALICE).get(f"/v2/{REPO}/manifests/{sig_digest}", headers={"Accept": MANIFEST_ACCEPT})
    assert sig_raw.status_code == 200
    assert sig_raw.json()["subject"]["digest"] == subject["digest"]
    assert "artifactType" not in sig_raw.json()

    # 2. An SBOM with an explicit artifactType and the empty config, built by
    #    hand and PUT by digest through the SDK's authenticated requests.
    client = alice_oras.client
    container = client.get_container(alice_oras.target(f"{REPO}:unused"))
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"{}")
    empty_desc = {"mediaType": OCI_EMPTY, "digest": sha256_digest(b"{}"), "size": 2}
    sbom = tmp_path / "sbom.spdx.json"
    sbom.write_text(json.dumps({"spdxVersion": "SPDX-2.3", "name": "wharf-test"}))
    sbom_bytes = sbom.read_bytes()
    sbom_desc = {
        "mediaType": "application/spdx+json",
        "digest": sha256_digest(sbom_bytes),
        "size": len(sbom_bytes),
        "annotations": {"org.opencontainers.image.title": "sbom.spdx.json"},
    }
    for path, desc in ((empty, empty_desc), (sbom, sbom_desc)):
        # upload_blob answers a bare 200 when its HEAD finds the blob already
        # there (the SDK's push above used the same empty config), else the PUT's 201.
        r = client.upload_blob(str(path), container, dict(desc))
        assert r.status_code in (200, 201), r.text
        if r.status_code == 201:
            assert r.headers.get("Docker-Content-Digest") == desc["digest"]
        head = client.do_request(f"http://{wharf.host}/v2/{REPO}/blobs/{desc['digest']}", "HEAD")
        assert head.status_code == 200
        assert int(head.headers["Content-Length"]) == desc["size"]
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": SBOM_ARTIFACT,
        "config": empty_desc,
        "layers": [sbom_desc],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject["digest"], "size": subject["size"]},
        "annotations": {"org.example.wharf.kind": "sbom",
                        "org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
    }
    body = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
    sbom_digest = sha256_digest(body)
    put = client.do_request(
        f"http://{wharf.host}/v2/{REPO}/manifests/{sbom_digest}", "PUT",
        headers={"Content-Type": OCI_MANIFEST}, data=body,
    )
    assert put.status_code == 201, put.text
    assert put.headers.get("Docker-Content-Digest") == sbom_digest
    assert put.headers.get("OCI-Subject") == subject["digest"], dict(put.headers)
    assert put.headers.get("Location", "").endswith(f"/v2/{REPO}/manifests/{sbom_digest}")

    # 3. The referrers API.
    reader = wharf.session(*ALICE)
    url = f"/v2/{REPO}/referrers/{subject['digest']}"
    resp = reader.get(url)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith(OCI_INDEX)
    assert "OCI-Filters-Applied" not in resp.headers
    index = resp.json()
    assert index["schemaVersion"] == 2
    assert index["mediaType"] == OCI_INDEX
    by_digest = {d["digest"]: d for d in index["manifests"]}
    assert set(by_digest) == {sig_digest, sbom_digest}, index

    sig_d = by_digest[sig_digest]
    assert sig_d["mediaType"] == OCI_MANIFEST
    assert sig_d["size"] == len(sig_raw.content)
    assert sig_d["artifactType"] == SIG_ARTIFACT
    assert sig_d["annotations"]["org.example.wharf.kind"] == "signature"

    sbom_d = by_digest[sbom_digest]
    assert sbom_d["mediaType"] == OCI_MANIFEST
    assert sbom_d["size"] == len(body)
    assert sbom_d["artifactType"] == SBOM_ARTIFACT
    assert sbom_d["annotations"] == manifest["annotations"]

    # Filtered by artifactType.
    resp = reader.get(url, params={"artifactType": SBOM_ARTIFACT})
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("OCI-Filters-Applied") == "artifactType"
    assert [d["digest"] for d in resp.json()["manifests"]] == [sbom_digest]

    resp = reader.get(url, params={"artifactType": SIG_ARTIFACT})
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("OCI-Filters-Applied") == "artifactType"
    assert [d["digest"] for d in resp.json()["manifests"]] == [sig_digest]

    resp = reader.get(url, params={"artifactType": "application/vnd.wharf.test.nothing"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["manifests"] == []

    # Digests with no referrers (existing or not): 200 with an empty index.
    for d in (sbom_digest, sha256_digest(b"no such manifest")):
        resp = reader.get(f"/v2/{REPO}/referrers/{d}")
        assert resp.status_code == 200, (d, resp.text)
        assert resp.json()["manifests"] == []

    # A malformed digest is a 400.
    resp = reader.get(f"/v2/{REPO}/referrers/sha256:not-a-digest")
    assert resp.status_code == 400, resp.text
    assert_oci_error(resp, "DIGEST_INVALID", "NAME_INVALID", "UNSUPPORTED")

    # The repository is private: no anonymous listing.
    anon = wharf.get(url)
    assert anon.status_code == 401, anon.text

    # The subject can be pulled with the SDK still, and deleting a referrer
    # removes it from the list.
    files = alice_oras.pull(f"{REPO}:sig", tmp_path / "sig-out")
    assert Path(files[0]).read_bytes() == sig.read_bytes()
    dele = client.do_request(f"http://{wharf.host}/v2/{REPO}/manifests/{sbom_digest}", "DELETE")
    assert dele.status_code == 202, dele.text
    resp = reader.get(url)
    assert resp.status_code == 200
    assert [d["digest"] for d in resp.json()["manifests"]] == [sig_digest]
