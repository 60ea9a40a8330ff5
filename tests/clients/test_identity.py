"""Robots, app-specific tokens and OAuth tokens with real clients.

A fresh server gets an organization, a team with the `creator` role, robots
and tokens through the Quay API; skopeo then pushes and pulls with each kind
of credential, and is refused where the credential has no right to write.
"""

from __future__ import annotations

import pytest
import requests

from conftest import USERS, build_image, describe



def api(server, token, method, path, **kw):
    headers = kw.pop("headers", {})
    headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, f"{server.url}/api/v1{path}", headers=headers, timeout=30, **kw)


def mint_token(server, username, *scopes):
    """`wharf token create`: the administrator's way to mint an API token."""
    args = ["token", "create", "--data-dir", str(server.data_dir), "--config", str(server.config_path), "--username", username]
    for scope in scopes:
        args += ["--scope", scope]
    proc = server.cli(*args)
    assert proc.returncode == 0, describe(proc)
    token = proc.stdout.strip().splitlines()[-1]
    assert len(token) == 40, proc.stdout
    return token


@pytest.fixture(scope="module")
def setup(wharf_factory, tmp_path_factory):
    server = wharf_factory(users={name: USERS[name] for name in ("alice", "bob")})
    token = mint_token(server, "alice", "repo:read", "repo:write", "repo:admin", "repo:create", "user:admin", "org:admin")
    assert api(server, token, "POST", "/organization/", json={"name": "acme", "email": "acme@example.com"}).status_code == 201
    team = api(server, token, "PUT", "/organization/acme/team/builders", json={"role": "creator", "description": "CI"})
    assert team.status_code == 200, team.text
    robots = {}
    for short in ("ci", "reader"):
        created = api(server, token, "PUT", f"/organization/acme/robots/{short}", json={"description": short})
        assert created.status_code == 201, created.text
        robots[short] = created.json()["token"]
    added = api(server, token, "PUT", "/organization/acme/team/builders/members/acme+ci")
    assert added.status_code == 200, added.text

    work = tmp_path_factory.mktemp("identity-images")
    layout = work / "layout"
    build_image(work, layout, "v1", [{"hello.txt": b"pushed by a robot\n"}])
    return {"server": server, "token": token, "robots": robots, "layout": layout}


def push(skopeo, setup, dest, creds):
    server = setup["server"]
    return skopeo("copy", "--dest-tls-verify=false", "--dest-creds", creds,
                  f"oci:{setup['layout']}:v1", f"docker://{server.host}/{dest}")


def inspect(skopeo, setup, ref, creds):
    return skopeo("inspect", "--tls-verify=false", "--creds", creds, f"docker://{setup['server'].host}/{ref}")


def test_robot_in_a_creator_team_pushes_a_new_repository(skopeo, setup):
    proc = push(skopeo, setup, "acme/app:v1", f"acme+ci:{setup['robots']['ci']}")
    assert proc.returncode == 0, describe(proc)
    seen = inspect(skopeo, setup, "acme/app:v1", f"acme+ci:{setup['robots']['ci']}")
    assert seen.returncode == 0, describe(seen)
    # The repository exists and the organization's admin sees the robot as its creator-admin.
    perms = api(setup["server"], setup["token"], "GET", "/repository/acme/app/permissions/user/")
    assert perms.status_code == 200, perms.text
    assert perms.json()["permissions"]["acme+ci"]["role"] == "admin"


def test_robot_with_read_permission_pulls_but_cannot_push(skopeo, setup):
    server, token = setup["server"], setup["token"]
    assert push(skopeo, setup, "acme/shared:v1", f"acme+ci:{setup['robots']['ci']}").returncode == 0
    granted = api(server, token, "PUT", "/repository/acme/shared/permissions/user/acme+reader", json={"role": "read"})
    assert granted.status_code == 200, granted.text
    reader = f"acme+reader:{setup['robots']['reader']}"
    assert inspect(skopeo, setup, "acme/shared:v1", reader).returncode == 0
    refused = push(skopeo, setup, "acme/shared:v2", reader)
    assert refused.returncode != 0, "a read-only robot pushed:\n" + describe(refused)
    # Nor may it create a repository in the organization.
    assert push(skopeo, setup, "acme/other:v1", reader).returncode != 0
    wrong = push(skopeo, setup, "acme/shared:v3", "acme+reader:" + "X" * 64)
    assert wrong.returncode != 0


def test_regenerated_robot_token_replaces_the_old_one(skopeo, setup):
    server, token = setup["server"], setup["token"]
    created = api(server, token, "PUT", "/organization/acme/robots/rotating")
    assert created.status_code == 201
    old = created.json()["token"]
    assert api(server, token, "PUT", "/repository/acme/app/permissions/user/acme+rotating", json={"role": "read"}).status_code == 200
    assert inspect(skopeo, setup, "acme/app:v1", f"acme+rotating:{old}").returncode == 0
    new = api(server, token, "POST", "/organization/acme/robots/rotating/regenerate").json()["token"]
    assert new != old
    assert inspect(skopeo, setup, "acme/app:v1", f"acme+rotating:{old}").returncode != 0
    assert inspect(skopeo, setup, "acme/app:v1", f"acme+rotating:{new}").returncode == 0


def test_app_specific_token_logs_in_as_dollar_app(skopeo, setup):
    server, token = setup["server"], setup["token"]
    created = api(server, token, "POST", "/user/apptoken", json={"title": "laptop"})
    assert created.status_code == 200, created.text
    app_token = created.json()["token"]["token_code"]
    assert len(app_token) == 120
    assert push(skopeo, setup, "alice/via-app:v1", f"$app:{app_token}").returncode == 0
    assert inspect(skopeo, setup, "alice/via-app:v1", f"$app:{app_token}").returncode == 0
    uuid = created.json()["token"]["uuid"]
    assert api(server, token, "DELETE", f"/user/apptoken/{uuid}").status_code == 204
    assert inspect(skopeo, setup, "alice/via-app:v1", f"$app:{app_token}").returncode != 0


def test_oauth_token_logs_in_as_dollar_oauthtoken_within_its_scopes(skopeo, setup):
    server = setup["server"]
    writer = mint_token(server, "alice", "repo:read", "repo:write", "repo:create")
    assert push(skopeo, setup, "alice/via-oauth:v1", f"$oauthtoken:{writer}").returncode == 0
    reader = mint_token(server, "alice", "repo:read")
    assert inspect(skopeo, setup, "alice/via-oauth:v1", f"$oauthtoken:{reader}").returncode == 0
    refused = push(skopeo, setup, "alice/via-oauth:v2", f"$oauthtoken:{reader}")
    assert refused.returncode != 0, "a repo:read token pushed:\n" + describe(refused)
    # Bob is not in the organization: his own password cannot push there.
    bob = push(skopeo, setup, "acme/app:v2", f"bob:{USERS['bob']}")
    assert bob.returncode != 0
