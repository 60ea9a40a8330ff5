"""A `portusctl`-style session against a fresh wharf server, checked with skopeo and the Quay API.

The Portus API is driven with `requests` sending exactly what portusctl (openSUSE/portusctl) sends:
`PORTUS-AUTH: <user>:<token>` and `Content-Type: application/json` on every request (GETs too), no
Accept header, Go's User-Agent, and JSON bodies whose values are all strings.

The session, on a server started with no user at all (bootstrap needs an empty system):
1. bootstrap the first administrator (201 with its token), a second bootstrap is refused (400);
2. version, health, ping; create users and an application token, list tokens;
3. a team, a namespace of that team, a contributor and a viewer in it;
4. the contributor pushes `<namespace>/<repo>:v1` (and `:latest`, the same image) with skopeo using
   its Portus token as the password; the viewer cannot push but can pull; a signed-in user without
   any role cannot read a private namespace; `public` lets anonymous callers pull, `protected` lets
   every signed-in user pull but not anonymous callers;
5. the repository and its tags through the Portus API and the Quay API (same tags, same digest);
6. deleting the tag through Portus removes every tag of that image (Portus deletes the manifest),
   the Quay API's time machine still lists them, ended;
7. the users list paginated one per page, walked through its `Link: rel="next"` URLs.
"""

from __future__ import annotations

import json
import re
from typing import Optional

import pytest
import requests

from conftest import build_image, describe
from test_identity import api as quay_api, mint_token
from test_skopeo import REFUSED, assert_refused, creds, inspect, push

NAMESPACE = "harbour"
REPO_NAME = "webapp"
REPO = f"{NAMESPACE}/{REPO_NAME}"
TEAM = "builders"

ADMIN = {"username": "captain", "email": "captain@example.com", "password": "captain-Pa55word!"}
MEMBER = {"username": "deckhand", "email": "deckhand@example.com", "password": "deckhand-Pa55word!"}
VIEWER = {"username": "lookout", "email": "lookout@example.com", "password": "lookout-Pa55word!"}
OUTSIDER = {"username": "passenger", "email": "passenger@example.com", "password": "passenger-Pa55word!"}

USER_FIELDS = ["id", "username", "email", "current_sign_in_at", "last_sign_in_at", "created_at", "updated_at",
               "admin", "enabled", "locked_at", "namespace_id", "display_name", "bot"]
TEAM_FIELDS = ["id", "name", "created_at", "updated_at", "description", "hidden"]
NAMESPACE_FIELDS = ["id", "name", "created_at", "updated_at", "description", "team", "visibility", "global"]
MEMBER_FIELDS = ["id", "team_id", "user_id", "created_at", "updated_at", "role", "display_name"]
REPOSITORY_FIELDS = ["id", "name", "full_name", "created_at", "updated_at", "description", "namespace",
                     "registry_hostname", "stars", "tags_count", "starred", "destroyable"]
TAG_FIELDS = ["id", "name", "author", "digest", "image_id", "created_at", "updated_at", "size", "scanned",
              "vulnerabilities"]

# Rails' JSON times: ISO 8601, UTC, milliseconds.
PORTUS_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOT_FIRST_USER = "you can only use this when there are no users on the system"


class Portusctl:
    """What portusctl puts on the wire (its `buildRequest`): every request has `Content-Type:
    application/json` and `PORTUS-AUTH: <user>:<token>` (`:` when no user was configured, as for
    `portusctl bootstrap`); bodies are compact JSON with string values; Go's client adds its
    User-Agent and `Accept-Encoding: gzip` and no Accept header."""

    def __init__(self, server, user: str = "", token: str = ""):
        self.server = server
        self.user = user
        self.token = token
        self.http = requests.Session()
        self.http.headers.clear()
        self.http.headers.update({"User-Agent": "Go-http-client/1.1", "Accept-Encoding": "gzip"})

    def request(self, method: str, path: str, body: Optional[dict] = None, *, auth: bool = True,
                params: Optional[dict] = None) -> requests.Response:
        url = path if path.startswith("http") else self.server.url + path
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["PORTUS-AUTH"] = f"{self.user}:{self.token}"
        data = None if body is None else json.dumps(body, separators=(",", ":"), sort_keys=True)
        return self.http.request(method, url, headers=headers, data=data, params=params, timeout=15)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def body_of(resp: requests.Response, status: int):
    """The JSON body of a Portus answer, after checking its status and the CORS headers Portus puts
    on every answer."""
    assert resp.status_code == status, f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    assert resp.headers.get("Access-Control-Allow-Origin") == "*", dict(resp.headers)
    assert "portus-auth" in resp.headers.get("Access-Control-Allow-Headers", "").lower(), dict(resp.headers)
    if status == 204:
        assert resp.content == b"", resp.content
        return None
    assert resp.headers.get("Content-Type", "").startswith("application/json"), dict(resp.headers)
    return resp.json()


def assert_times(entity: dict, *fields: str):
    for field in fields:
        assert isinstance(entity[field], str) and PORTUS_TIME.match(entity[field]), (field, entity)


class Session(dict):
    """What the steps of the session hand on to the next ones."""

    def need(self, *keys):
        missing = [k for k in keys if k not in self]
        if missing:
            pytest.fail(f"an earlier step of the session did not finish (missing {missing})")
        return [self[k] for k in keys] if len(keys) > 1 else self[keys[0]]


@pytest.fixture(scope="module")
def server(wharf_factory):
    """A fresh server with no user at all: `POST /api/v1/users/bootstrap` needs an empty system."""
    return wharf_factory(users=None)


@pytest.fixture(scope="module")
def session() -> Session:
    return Session()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    work = tmp_path_factory.mktemp("portus-session")
    layout = work / "layout"
    info = build_image(work, layout, "v1", [{"etc/portus/hello.txt": b"hello from a portusctl session\n"},
                                             {"srv/app.bin": bytes(range(256)) * 64}])
    return {"work": work, "layout": layout, **info}


def portus(server, session: Session, who: str) -> Portusctl:
    user, token = session.need(f"{who}_name", f"{who}_token")
    return Portusctl(server, user, token)


# ---------------------------------------------------------------------------
# 1. bootstrap


def test_bootstrap_creates_the_first_admin_once(server, session):
    anonymous = Portusctl(server)  # `portusctl bootstrap` sends `PORTUS-AUTH: :`
    created = body_of(anonymous.post("/api/v1/users/bootstrap", {"user": ADMIN}), 201)
    assert list(created) == ["id", "application", "plain_token"], created
    assert isinstance(created["id"], int)
    assert created["application"] == "bootstrap"
    assert isinstance(created["plain_token"], str) and created["plain_token"] and ":" not in created["plain_token"]
    # `id` is the application token's (Portus's create_application_token! presents the token).
    session.update(admin_token_id=created["id"], admin_name=ADMIN["username"], admin_token=created["plain_token"])

    # A second bootstrap (curl-like, no PORTUS-AUTH at all) is refused with Portus's message.
    again = Portusctl(server).post("/api/v1/users/bootstrap",
                                   {"user": {"username": "second", "email": "second@example.com",
                                             "password": "second-Pa55word!"}}, auth=False)
    assert body_of(again, 400) == {"message": NOT_FIRST_USER}

    # The bootstrapped user signs in with the token and is an administrator (it is not in
    # SUPER_USERS: the bootstrap made it one); it is the only user.
    admin = portus(server, session, "admin")
    users = body_of(admin.get("/api/v1/users"), 200)
    assert [u["username"] for u in users] == [ADMIN["username"]], users
    me = users[0]
    assert list(me) == USER_FIELDS, me
    assert (me["email"], me["admin"], me["enabled"], me["bot"], me["display_name"]) == \
        (ADMIN["email"], True, True, False, None), me
    assert body_of(admin.get(f"/api/v1/users/{me['id']}"), 200) == me
    assert body_of(admin.get(f"/api/v1/users/{ADMIN['email']}"), 200) == me  # by e-mail too
    tokens = body_of(admin.get(f"/api/v1/users/{me['id']}/application_tokens"), 200)
    assert tokens == [{"id": created["id"], "application": "bootstrap"}], tokens
    session["admin_id"] = me["id"]


# ---------------------------------------------------------------------------
# 2. the administrator's session: status endpoints, users, application tokens


def test_admin_status_users_and_tokens(server, session):
    admin = portus(server, session, "admin")

    version = body_of(admin.get("/api/version"), 200)
    assert list(version) == ["api-versions", "git", "version"], version
    assert version["api-versions"] == ["v1"]
    assert isinstance(version["version"], str) and version["version"]
    # `/api/version` needs a signed-in caller.
    assert body_of(Portusctl(server).get("/api/version", auth=False), 401) == {"message": "Authentication fails"}

    # health and _ping need no authentication (portusctl sends its header anyway).
    for client, auth in ((Portusctl(server), False), (admin, True)):
        health = body_of(client.get("/api/v1/health", auth=auth), 200)
        assert set(health) == {"database", "registry"}, health
        for component in health.values():
            assert set(component) == {"msg", "success"} and component["success"] is True, health
        assert health["database"]["msg"] == "database is up-to-date", health
    assert body_of(admin.get("/api/v1/_ping"), 200) == 200
    assert body_of(Portusctl(server).get("/api/v1/_ping", auth=False), 200) == 200

    # Bad credentials and non-administrators.
    wrong = Portusctl(server, ADMIN["username"], "x" * 120)
    assert body_of(wrong.get("/api/v1/users"), 401) == {"message": "Authentication fails"}

    users = {}
    for details in (MEMBER, VIEWER, OUTSIDER):
        user = body_of(admin.post("/api/v1/users", {"user": details}), 201)
        assert list(user) == USER_FIELDS, user
        assert (user["username"], user["email"], user["admin"], user["enabled"], user["bot"], user["locked_at"]) == \
            (details["username"], details["email"], False, True, False, None), user
        assert_times(user, "created_at", "updated_at")
        users[details["username"]] = user
    # The same user again: a Rails validation error.
    dup = body_of(admin.post("/api/v1/users", {"user": MEMBER}), 422)
    assert "has already been taken" in dup["message"]["username"], dup

    # An application token for each (portusctl: `create application_token id=<id> application=ci`).
    for key, details in (("member", MEMBER), ("viewer", VIEWER), ("outsider", OUTSIDER)):
        user_id = users[details["username"]]["id"]
        created = body_of(admin.post(f"/api/v1/users/{user_id}/application_tokens", {"application": "ci"}), 201)
        assert list(created) == ["id", "application", "plain_token"], created
        assert created["application"] == "ci" and created["plain_token"]
        listed = body_of(admin.get(f"/api/v1/users/{user_id}/application_tokens"), 200)
        assert listed == [{"id": created["id"], "application": "ci"}], listed
        session.update({f"{key}_id": user_id, f"{key}_name": details["username"], f"{key}_token": created["plain_token"]})

    # The new token signs its owner in; it is not an administrator's.
    member = portus(server, session, "member")
    assert body_of(member.get("/api/version"), 200) == version
    assert body_of(member.get("/api/v1/users"), 403) == {"message": "Authorization fails"}
    # Application names are unique per user.
    taken = body_of(member.post(f"/api/v1/users/{session['member_id']}/application_tokens", {"application": "ci"}), 422)
    assert taken["message"] == {"application": ["has already been taken"]}, taken


# ---------------------------------------------------------------------------
# 3. team, namespace, members


def test_team_namespace_and_members(server, session):
    admin = portus(server, session, "admin")
    member_id, viewer_id = session.need("member_id", "viewer_id")

    team = body_of(admin.post("/api/v1/teams", {"name": TEAM, "description": "Builds the images"}), 201)
    assert list(team) == TEAM_FIELDS, team
    assert (team["name"], team["description"], team["hidden"]) == (TEAM, "Builds the images", False), team
    assert_times(team, "created_at", "updated_at")

    namespace = body_of(admin.post("/api/v1/namespaces", {"name": NAMESPACE, "team": TEAM, "description": "Ship images"}), 201)
    assert list(namespace) == NAMESPACE_FIELDS, namespace
    assert (namespace["name"], namespace["description"], namespace["visibility"], namespace["global"]) == \
        (NAMESPACE, "Ship images", "private", False), namespace
    assert namespace["team"] == {"id": team["id"], "name": TEAM, "hidden": False}, namespace
    # A namespace of a team that does not exist: 404 before anything else.
    assert body_of(admin.post("/api/v1/namespaces", {"name": "nowhere", "team": "no-such-team"}), 404) == {"message": "Not found"}

    for user_id, name, role in ((member_id, MEMBER["username"], "contributor"), (viewer_id, VIEWER["username"], "viewer")):
        added = body_of(admin.post(f"/api/v1/teams/{team['id']}/members", {"user": name, "role": role}), 201)
        assert list(added) == MEMBER_FIELDS, added
        assert (added["team_id"], added["user_id"], added["role"], added["display_name"]) == (team["id"], user_id, role, name), added
        session[f"{role}_membership_id"] = added["id"]

    members = body_of(admin.get(f"/api/v1/teams/{team['id']}/members"), 200)
    # The team's creator is its owner.
    assert sorted(m["username"] for m in members) == sorted([ADMIN["username"], MEMBER["username"], VIEWER["username"]]), members
    assert all(list(m) == USER_FIELDS for m in members), members
    listed = body_of(admin.get(f"/api/v1/teams/{team['id']}/namespaces"), 200)
    assert [n["id"] for n in listed] == [namespace["id"]], listed
    session.update(team_id=team["id"], namespace_id=namespace["id"])


# ---------------------------------------------------------------------------
# 4. pushes and pulls by role and visibility


def set_visibility(server, session, visibility):
    admin = portus(server, session, "admin")
    namespace_id = session.need("namespace_id")
    updated = body_of(admin.put(f"/api/v1/namespaces/{namespace_id}", {"namespace": {"visibility": visibility}}), 200)
    assert (updated["id"], updated["name"], updated["visibility"]) == (namespace_id, NAMESPACE, visibility), updated


def test_push_and_pull_by_role_and_visibility(server, session, skopeo, image):
    member_cred = creds(session.need("member_name", "member_token"))
    viewer_cred = creds(session.need("viewer_name", "viewer_token"))
    outsider_cred = creds(session.need("outsider_name", "outsider_token"))
    namespace_id = session.need("namespace_id")
    layout = image["layout"]

    # The contributor pushes with its Portus application token as the password.
    for tag in ("v1", "latest"):
        pushed = push(skopeo, server, layout, "v1", f"{REPO}:{tag}", "--dest-creds", member_cred)
        assert pushed.returncode == 0, describe(pushed)
    info = inspect(skopeo, server, f"{REPO}:v1", "--creds", member_cred)
    assert info.returncode == 0, describe(info)
    assert json.loads(info.stdout)["Digest"] == image["digest"]

    # The viewer pulls but cannot push.
    pulled = inspect(skopeo, server, f"{REPO}:v1", "--creds", viewer_cred)
    assert pulled.returncode == 0, describe(pulled)
    assert json.loads(pulled.stdout)["Digest"] == image["digest"]
    assert_refused(push(skopeo, server, layout, "v1", f"{REPO}:from-viewer", "--dest-creds", viewer_cred))
    assert_refused(push(skopeo, server, layout, "v1", f"{NAMESPACE}/viewer-repo:v1", "--dest-creds", viewer_cred))

    # Private: neither an anonymous caller nor a signed-in user without a role in the team reads it.
    assert_refused(inspect(skopeo, server, f"{REPO}:v1"))
    assert_refused(inspect(skopeo, server, f"{REPO}:v1", "--creds", outsider_cred))
    outsider = portus(server, session, "outsider")
    assert body_of(outsider.get(f"/api/v1/namespaces/{namespace_id}"), 403) == {"message": "Authorization fails"}

    # Public: anyone pulls, signed in or not.
    set_visibility(server, session, "public")
    anonymous = inspect(skopeo, server, f"{REPO}:v1")
    assert anonymous.returncode == 0, describe(anonymous)
    assert json.loads(anonymous.stdout)["Digest"] == image["digest"]
    # ... but pushing still needs a contributor.
    assert_refused(push(skopeo, server, layout, "v1", f"{REPO}:anonymous"))
    assert_refused(push(skopeo, server, layout, "v1", f"{REPO}:from-outsider", "--dest-creds", outsider_cred))

    # Protected: every signed-in user pulls, anonymous callers do not.
    set_visibility(server, session, "protected")
    assert_refused(inspect(skopeo, server, f"{REPO}:v1"))
    signed_in = inspect(skopeo, server, f"{REPO}:v1", "--creds", outsider_cred)
    assert signed_in.returncode == 0, describe(signed_in)
    assert json.loads(signed_in.stdout)["Digest"] == image["digest"]
    shown = body_of(outsider.get(f"/api/v1/namespaces/{namespace_id}"), 200)
    assert shown["visibility"] == "protected", shown
    assert_refused(push(skopeo, server, layout, "v1", f"{REPO}:from-outsider", "--dest-creds", outsider_cred))

    # Back to private for the rest of the session.
    set_visibility(server, session, "private")
    assert_refused(inspect(skopeo, server, f"{REPO}:v1", "--creds", outsider_cred))
    session["pushed"] = True


# ---------------------------------------------------------------------------
# 5. the repository and its tags, through Portus and through Quay


def assert_tag(tag, name, image):
    assert list(tag) == TAG_FIELDS, tag
    assert tag["name"] == name, tag
    assert tag["digest"] == image["digest"], tag
    assert tag["image_id"] == image["config"].split(":", 1)[1], tag
    manifest = image["manifest"]
    assert tag["size"] == manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"]), tag
    assert tag["scanned"] == 0 and tag["vulnerabilities"] is None, tag
    assert_times(tag, "created_at", "updated_at")


def test_repository_and_tags_through_portus_and_quay(server, session, image):
    session.need("pushed")
    member_id, namespace_id = session.need("member_id", "namespace_id")
    member = portus(server, session, "member")
    admin = portus(server, session, "admin")

    repositories = body_of(member.get(f"/api/v1/namespaces/{namespace_id}/repositories"), 200)
    assert len(repositories) == 1, repositories
    listed = repositories[0]
    assert list(listed) == REPOSITORY_FIELDS, listed
    assert (listed["name"], listed["full_name"], listed["tags_count"], listed["stars"]) == (REPO_NAME, REPO, 2, 0), listed
    assert listed["namespace"] == {"id": namespace_id, "name": NAMESPACE}, listed
    assert listed["registry_hostname"] == server.host, listed
    # In lists Portus passes no current user: starred is false and destroyable null.
    assert (listed["starred"], listed["destroyable"]) == (False, None), listed
    assert_times(listed, "created_at", "updated_at")
    repo_id = listed["id"]

    shown = body_of(member.get(f"/api/v1/repositories/{repo_id}"), 200)
    assert list(shown) == REPOSITORY_FIELDS, shown
    assert (shown["id"], shown["full_name"], shown["tags_count"]) == (repo_id, REPO, 2), shown
    assert shown["starred"] is False, shown
    # An administrator may delete it (what a contributor may is checked at the end, on a scratch repository).
    assert body_of(admin.get(f"/api/v1/repositories/{repo_id}"), 200)["destroyable"] is True

    tags = body_of(member.get(f"/api/v1/repositories/{repo_id}/tags"), 200)
    assert sorted(t["name"] for t in tags) == ["latest", "v1"], tags
    by_name = {t["name"]: t for t in tags}
    for name, tag in by_name.items():
        assert_tag(tag, name, image)
    v1 = by_name["v1"]

    grouped = body_of(member.get(f"/api/v1/repositories/{repo_id}/tags/grouped"), 200)
    assert len(grouped) == 1 and sorted(t["name"] for t in grouped[0]) == ["latest", "v1"], grouped
    assert {t["id"]: t for t in grouped[0]} == {t["id"]: t for t in tags}, grouped

    assert body_of(member.get(f"/api/v1/tags/{v1['id']}"), 200) == v1
    assert body_of(member.get(f"/api/v1/repositories/{repo_id}/tags/{v1['id']}"), 200) == v1
    # The outsider (no role, namespace private) sees none of it.
    outsider = portus(server, session, "outsider")
    assert body_of(outsider.get(f"/api/v1/tags/{v1['id']}"), 403) == {"message": "Authorization fails"}
    assert body_of(outsider.get(f"/api/v1/repositories/{repo_id}"), 403) == {"message": "Authorization fails"}

    # The same through the Quay API, with an OAuth token of the member.
    quay_token = mint_token(server, MEMBER["username"], "repo:read")
    repo = quay_api(server, quay_token, "GET", f"/repository/{REPO}", params={"includeTags": "true"})
    assert repo.status_code == 200, repo.text
    view = repo.json()
    assert (view["namespace"], view["name"], view["is_public"]) == (NAMESPACE, REPO_NAME, False), view
    assert set(view["tags"]) == {"v1", "latest"}, view
    for name in ("v1", "latest"):
        assert view["tags"][name]["name"] == name
        assert view["tags"][name]["manifest_digest"] == image["digest"], view
    history = quay_api(server, quay_token, "GET", f"/repository/{REPO}/tag/")
    assert history.status_code == 200, history.text
    rows = history.json()["tags"]
    assert sorted((r["name"], r["manifest_digest"]) for r in rows) == \
        [("latest", image["digest"]), ("v1", image["digest"])], rows
    assert all("end_ts" not in r for r in rows), rows
    session.update(repo_id=repo_id, tag_ids=sorted(t["id"] for t in tags), v1_id=v1["id"], quay_token=quay_token)

    # Last (the steps after this one do not depend on it): the tags' author is the member who pushed.
    for tag in tags:
        assert tag["author"] == {"id": member_id, "name": MEMBER["username"]}, tag


# ---------------------------------------------------------------------------
# 6. deleting the tag through Portus; the time machine keeps it


def test_delete_tag_through_portus(server, session, skopeo, image):
    repo_id, tag_ids, v1_id, quay_token = session.need("repo_id", "tag_ids", "v1_id", "quay_token")
    member_cred = creds(session.need("member_name", "member_token"))
    member = portus(server, session, "member")
    admin = portus(server, session, "admin")

    assert body_of(admin.delete(f"/api/v1/tags/{v1_id}"), 204) is None

    # Portus deletes the manifest, so every tag of that image goes.
    for tag in ("v1", "latest"):
        gone = inspect(skopeo, server, f"{REPO}:{tag}", "--creds", member_cred)
        assert gone.returncode != 0, f"deleted tag {tag} still inspectable:\n" + describe(gone)
        assert re.search(r"manifest unknown|not found|deleted or has expired", gone.stderr, re.IGNORECASE), describe(gone)
    assert body_of(member.get(f"/api/v1/repositories/{repo_id}/tags"), 200) == []
    assert body_of(member.get(f"/api/v1/repositories/{repo_id}/tags/grouped"), 200) == []
    for tag_id in tag_ids:
        assert body_of(member.get(f"/api/v1/tags/{tag_id}"), 404) == {"message": "Not found"}
    assert body_of(admin.delete(f"/api/v1/tags/{v1_id}"), 404) == {"message": "Not found"}

    # The Quay API's tag history still has them, ended (the time machine).
    history = quay_api(server, quay_token, "GET", f"/repository/{REPO}/tag/", params={"specificTag": "v1"})
    assert history.status_code == 200, history.text
    rows = history.json()["tags"]
    assert len(rows) == 1, rows
    assert rows[0]["name"] == "v1" and rows[0]["manifest_digest"] == image["digest"], rows
    assert isinstance(rows[0].get("end_ts"), int) and rows[0]["end_ts"] >= rows[0]["start_ts"], rows
    everything = quay_api(server, quay_token, "GET", f"/repository/{REPO}/tag/")
    assert everything.status_code == 200, everything.text
    assert sorted((r["name"], "end_ts" in r) for r in everything.json()["tags"]) == [("latest", True), ("v1", True)], everything.text
    alive = quay_api(server, quay_token, "GET", f"/repository/{REPO}", params={"includeTags": "true"})
    assert alive.status_code == 200, alive.text
    assert alive.json()["tags"] == {}, alive.text


# ---------------------------------------------------------------------------
# 7. pagination


def test_users_pagination_follows_link_next(server, session):
    session.need("outsider_id")
    admin = portus(server, session, "admin")
    everyone = body_of(admin.get("/api/v1/users", params={"all": "true"}), 200)
    expected = [ADMIN["username"], MEMBER["username"], VIEWER["username"], OUTSIDER["username"]]
    assert sorted(u["username"] for u in everyone) == sorted(expected), everyone
    total = len(everyone)

    seen = []
    url = "/api/v1/users?per_page=1"
    page = 1
    while True:
        resp = admin.get(url)
        users = body_of(resp, 200)
        assert len(users) == 1, users
        assert list(users[0]) == USER_FIELDS, users
        seen.append(users[0]["username"])
        headers = resp.headers
        assert headers["X-Page"] == str(page), dict(headers)
        assert headers["X-Per-Page"] == "1", dict(headers)
        assert headers["X-Total"] == str(total), dict(headers)
        assert headers["X-Total-Pages"] == str(total), dict(headers)
        assert headers["X-Prev-Page"] == ("" if page == 1 else str(page - 1)), dict(headers)
        assert headers["X-Next-Page"] == ("" if page == total else str(page + 1)), dict(headers)
        links = resp.links
        assert ("prev" in links) == (page > 1), headers.get("Link")
        assert "first" in links and "last" in links, headers.get("Link")
        for rel, target in (("first", 1), ("last", total)):
            assert links[rel]["url"].startswith(server.url + "/api/v1/users?"), links
            assert f"page={target}" in links[rel]["url"].split("?", 1)[1].split("&"), links
        if "next" not in links:
            break
        url = links["next"]["url"]
        assert url.startswith(server.url + "/api/v1/users?"), url
        assert "per_page=1" in url.split("?", 1)[1].split("&"), url
        page += 1
        assert page <= total, f"more pages than users: {seen}"
    assert page == total, seen
    assert sorted(seen) == sorted(expected), seen
    # With `all`, no pagination headers.
    resp = admin.get("/api/v1/users", params={"all": "true"})
    assert "X-Total" not in resp.headers and "Link" not in resp.headers, dict(resp.headers)


# ---------------------------------------------------------------------------
# What a contributor may not do, and what it loses with its team role. Each check works on a
# repository of its own, so that a failure here leaves the steps above alone.


def test_contributor_may_not_delete(server, session, skopeo, image):
    """Portus's `RepositoryPolicy#destroy?`/`TagPolicy#destroy?`: delete.enabled and (admin or team owner
    or (delete.contributors and contributor)), delete.contributors being off by default; and
    `RepositoryPolicy#update?`: admin or team owner. Having pushed the repository first gives a
    contributor no more rights in a Portus namespace. Every check is made, then all failures reported."""
    member_cred = creds(session.need("member_name", "member_token"))
    namespace_id = session.need("namespace_id")
    member = portus(server, session, "member")
    pushed = push(skopeo, server, image["layout"], "v1", f"{NAMESPACE}/scratch:v1", "--dest-creds", member_cred)
    assert pushed.returncode == 0, describe(pushed)
    [scratch] = [r for r in body_of(member.get(f"/api/v1/namespaces/{namespace_id}/repositories"), 200)
                 if r["name"] == "scratch"]
    [tag] = body_of(member.get(f"/api/v1/repositories/{scratch['id']}/tags"), 200)
    refused = (403, {"message": "Authorization fails"})

    def answer(resp):
        return (resp.status_code, resp.json() if resp.content else None)

    problems = []
    shown = body_of(member.get(f"/api/v1/repositories/{scratch['id']}"), 200)
    if shown["destroyable"] is not False:
        problems.append(f"GET /api/v1/repositories/{scratch['id']} as the contributor: destroyable is "
                        f"{shown['destroyable']!r}, expected false")
    for method, path, body in (
        ("PUT", f"/api/v1/repositories/{scratch['id']}", {"repository": {"description": "mine"}}),
        ("DELETE", f"/api/v1/tags/{tag['id']}", None),
        ("DELETE", f"/api/v1/repositories/{scratch['id']}", None),
    ):
        got = answer(member.request(method, path, body))
        if got != refused:
            problems.append(f"{method} {path} as the contributor: {got}, expected {refused}")
    assert not problems, "\n".join(problems)
    still = inspect(skopeo, server, f"{NAMESPACE}/scratch:v1", "--creds", member_cred)
    assert still.returncode == 0, describe(still)


def test_team_role_decides_registry_access(server, session, skopeo, image):
    """In Portus a user's rights in a namespace are its team role there: demoted to viewer it only
    pulls, removed from the team it cannot even pull from the private namespace — also from the
    repository it pushed first. Every check is made, then all failures reported."""
    member_cred = creds(session.need("member_name", "member_token"))
    team_id, membership_id, namespace_id = session.need("team_id", "contributor_membership_id", "namespace_id")
    admin = portus(server, session, "admin")
    member = portus(server, session, "member")
    layout = image["layout"]
    pushed = push(skopeo, server, layout, "v1", f"{NAMESPACE}/demotion:v1", "--dest-creds", member_cred)
    assert pushed.returncode == 0, describe(pushed)

    problems = []

    def expect_refused(proc, what):
        if proc.returncode == 0:
            problems.append(f"{what}: skopeo succeeded, expected the registry to refuse")
        elif not REFUSED.search(proc.stderr):
            problems.append(f"{what}: refused, but not for an auth reason:\n{describe(proc)}")

    demoted = body_of(admin.put(f"/api/v1/teams/{team_id}/members/{membership_id}", {"role": "viewer"}), 200)
    assert (demoted["id"], demoted["role"]) == (membership_id, "viewer"), demoted
    pulled = inspect(skopeo, server, f"{NAMESPACE}/demotion:v1", "--creds", member_cred)
    assert pulled.returncode == 0, describe(pulled)
    expect_refused(push(skopeo, server, layout, "v1", f"{NAMESPACE}/demotion:v2", "--dest-creds", member_cred),
                   "viewer pushes to the repository it created as a contributor")
    expect_refused(push(skopeo, server, layout, "v1", f"{NAMESPACE}/fresh:v1", "--dest-creds", member_cred),
                   "viewer pushes a new repository")

    assert body_of(admin.delete(f"/api/v1/teams/{team_id}/members/{membership_id}"), 204) is None
    # The Portus API agrees the user has no business in the namespace any more ...
    assert body_of(member.get(f"/api/v1/namespaces/{namespace_id}"), 403) == {"message": "Authorization fails"}
    # ... and so must the registry.
    expect_refused(inspect(skopeo, server, f"{NAMESPACE}/demotion:v1", "--creds", member_cred),
                   "former member pulls from the private namespace")
    expect_refused(push(skopeo, server, layout, "v1", f"{NAMESPACE}/demotion:v3", "--dest-creds", member_cred),
                   "former member pushes to the private namespace")
    assert not problems, "\n".join(problems)
