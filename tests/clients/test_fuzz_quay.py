"""Schemathesis against the Quay API's own Swagger document (GET /api/v1/discovery).

Three runs, each on a fresh seeded server: with a superuser's OAuth token, with a plain user's
token, and with no token. Seeding gives the fuzzer real things to reach (three organizations, each
with a team, a robot, an OAuth application, a default permission and a public repository with two
tags and a label; the plain user's own public repository and robot; app tokens; a global message);
their names are Schemathesis dictionaries for the path parameters, drawn 70% of the time in the
fuzzing phase, so the other draws, the coverage phase and every negative case still generate
hostile values. DELETE operations get a second organization ("doomedorg") and deleting an
organization or a repository a third ("goneorg"), so the first one lives through the whole run.

A run fails on any answer >= 500 other than a 501 "… not supported" (see fuzzing.allowed_5xx), on
a request that got no answer, and on a server that died or logged a crash. Each run prints
`FUZZ quay <auth>: operations=… requests=… failures=…`.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Optional

import pytest

from conftest import describe, sha256_digest
from fuzzing import (FUZZ_EXAMPLES, FUZZ_SEED, SLASH, allowed_5xx, assert_alive, crash_report, excerpt, push_image,
                     quay, summary)
from test_identity import mint_token

ADMIN = ("admin", "admin-Pa55word!")  # a superuser: conftest's WharfServer lists "admin" in SUPER_USERS
USER = ("fuzzer", "fuzzer-Pa55word!")
USER_SCOPES = ("repo:read", "repo:write", "repo:admin", "repo:create", "user:read", "user:admin", "org:admin")
ORG, DOOMED, GONE = "fuzzorg", "doomedorg", "goneorg"
# The fuzzer's share of known values for a bound path parameter (the rest is generated).
KNOWN_SHARE = 0.7
RUN_TIMEOUT = 900  # a safety net only: the runs' size is set by WHARF_FUZZ_EXAMPLES


def seed(server) -> dict:
    """Accounts and data for the run; returns the tokens and the known path-parameter values."""
    admin_token = quay(server, None, "POST", "/user/initialize", json={
        "username": ADMIN[0], "password": ADMIN[1], "email": "admin@example.com", "access_token": True,
    }).json()["access_token"]
    server.create_user(*USER)
    user_token = mint_token(server, USER[0], *USER_SCOPES)

    known = defaultdict(list)
    for org in (ORG, DOOMED, GONE):
        quay(server, admin_token, "POST", "/organization/", json={"name": org, "email": f"{org}@example.com"})
        quay(server, admin_token, "PUT", f"/organization/{org}/team/owners", json={"role": "admin"})
        quay(server, admin_token, "PUT", f"/organization/{org}/team/owners/members/{USER[0]}")
        quay(server, admin_token, "PUT", f"/organization/{org}/robots/ci")
        known["client_id"].append(quay(server, admin_token, "POST", f"/organization/{org}/applications",
                                       json={"name": "fuzzapp"}).json()["client_id"])
        known["prototypeid"].append(quay(server, admin_token, "POST", f"/organization/{org}/prototypes", json={
            "role": "read", "delegate": {"name": "owners", "kind": "team"}}).json()["id"])
        digest = sha256_digest(push_image(server, *ADMIN, f"{org}/app", ["v1", "latest"]))
        quay(server, admin_token, "POST", f"/repository/{org}/app/changevisibility", json={"visibility": "public"})
        known["labelid"].append(quay(server, admin_token, "POST", f"/repository/{org}/app/manifest/{digest}/labels",
                                     json={"key": "fuzz", "value": "1", "media_type": "text/plain"}).json()["label"]["id"])
    known["manifestref"] = [digest]  # the same image in every organization
    push_image(server, *USER, f"{USER[0]}/app", ["v1"])
    quay(server, user_token, "POST", f"/repository/{USER[0]}/app/changevisibility", json={"visibility": "public"})
    quay(server, user_token, "PUT", "/user/robots/bot")
    for token in (admin_token, user_token):
        known["token_uuid"].append(quay(server, token, "POST", "/user/apptoken", json={"title": "fuzz"}).json()["token"]["uuid"])
    quay(server, admin_token, "POST", "/messages", json={
        "message": {"content": "fuzz", "media_type": "text/plain", "severity": "info"}})
    known["uuid"] = [m["uuid"] for m in quay(server, None, "GET", "/messages").json()["messages"]]

    known.update({
        "orgname": [ORG], "name": [ORG], "repository": [f"{ORG}{SLASH}app", f"{USER[0]}{SLASH}app"],
        "tag": ["v1", "latest"], "teamname": ["owners"], "membername": [USER[0], f"{ORG}+ci"],
        "username": [USER[0], ADMIN[0]], "robot_shortname": ["ci", "bot"], "prefix": ["fuz"],
        "error_type": ["invalid_request"], "email": ["someone@example.com"], "code": ["no-such-invite"],
    })
    overrides = {
        # Operations (Schemathesis's filters) → what they delete.
        'include-operation-id-regex = "^(deleteAdminedOrganization|deleteOrganization|deleteRepository)$"':
            {"orgname": [GONE], "name": [GONE], "repository": [f"{GONE}{SLASH}app"]},
        'include-method = "DELETE"': {"orgname": [DOOMED], "name": [DOOMED], "repository": [f"{DOOMED}{SLASH}app"]},
    }
    return {"superuser": admin_token, "user": user_token, "anonymous": None, "known": known, "overrides": overrides}


# Integers at and beyond the limits of Int64, for every integer or number the fuzzer sends (query and
# path parameters, and the numeric fields of request bodies), a fifth of the time.
INT64_EDGES = [9223372036854775807, -9223372036854775808, 9223372036854775808, 4611686018427387904,
               99999999999999999999, -99999999999999999999, 1e300, -1e300, 0, -1]
EDGE_SHARE = 0.2


def numeric_body_fields(discovery: dict) -> set:
    """Names of the integer and number properties of the document's body schemas."""
    return {name for definition in discovery["definitions"].values()
            for name, prop in (definition.get("properties") or {}).items() if prop.get("type") in ("integer", "number")}


def toml_config(path: Path, token, known: dict, overrides: dict, numeric_fields: set) -> None:
    """Schemathesis's config file (values written as JSON, which TOML reads for strings, numbers and
    lists). `overrides` maps an [[operations]] filter to other values for those operations (the
    first matching filter applies)."""
    def binding(key, dictionary, share=KNOWN_SHARE):
        return f'"{key}" = {{ dictionary = "{dictionary}", probability = {share} }}'

    dictionaries = dict(known, int64_edges=INT64_EDGES)
    for i, values in enumerate(overrides.values()):
        dictionaries.update({f"{name}_{i}": v for name, v in values.items()})
    lines = [
        'hooks = "fuzzing"',  # imported from PYTHONPATH (this directory)
        "request-timeout = 60",
        "cache.enabled = false",  # each run starts afresh: no verdicts or examples kept from earlier runs
        'generation.database = "none"',
        f"generation.max-examples = {FUZZ_EXAMPLES}",
        "generation.dictionaries = { "
        + ", ".join(f'{ty} = {{ dictionary = "int64_edges", probability = {EDGE_SHARE} }}' for ty in ("integer", "number"))
        + " }",
        # 501 is judged by the test (allowed only as "not supported"); every other 5xx is a failure.
        'checks.not_a_server_error.expected-statuses = ["1XX", "2XX", "3XX", "4XX", "501"]',
    ]
    if token:
        lines.append(f"headers = {{ Authorization = {json.dumps('Bearer ' + token)} }}")
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    lines += ["[parameters]", *(binding(f"path.{name}", name) for name in known)]
    lines += [binding(f"body.{name}", "int64_edges", EDGE_SHARE) for name in sorted(numeric_fields)]
    for i, (selector, values) in enumerate(overrides.items()):
        lines += ["[[operations]]", selector, "[operations.parameters]",
                  *(binding(f"path.{name}", f"{name}_{i}") for name in values)]
    path.write_text("\n".join(lines) + "\n")


def body_of(part: dict) -> bytes:
    """A request or response body as Schemathesis's NDJSON report records it."""
    recorded = part.get("body") or part.get("content") or {}
    return base64.b64decode(recorded.get("$base64", ""))


def exchange(request: dict, response: Optional[dict]) -> str:
    text = f"{request['method']} {excerpt(request['uri'], 400)} body {excerpt(body_of(request) or None, 1500)}"
    return text + (f" → {response['status_code']} {excerpt(body_of(response))}" if response else " → no answer")


def findings(ndjson: Path) -> dict:
    """What the run's NDJSON report holds: requests sent, operations tested, the 5xx answers (one
    example per operation and status), requests without an answer, and Schemathesis's errors."""
    found = {"requests": 0, "operations": set(), "server_errors": {}, "unanswered": [], "errors": []}
    with ndjson.open() as lines:
        for event in map(json.loads, lines):
            if "NonFatalError" in event:
                error = event["NonFatalError"]
                found["errors"].append(f"{error['label']}: {error['value']['type']}: "
                                       f"{excerpt(error['value']['message'], 1500)}")
            scenario = event.get("ScenarioFinished")
            if not scenario:
                continue
            label = scenario["recorder"]["label"]
            for interaction in (scenario["recorder"].get("interactions") or {}).values():
                found["requests"] += 1
                if scenario["phase"] != "stateful":  # whose labels name sequences of operations
                    found["operations"].add(label)
                request, response = interaction["request"], interaction.get("response")
                if response is None:
                    found["unanswered"].append(exchange(request, None))
                elif response["status_code"] >= 500 and not allowed_5xx(response["status_code"], body_of(response)):
                    found["server_errors"].setdefault((label, response["status_code"]), exchange(request, response))
    return found


@pytest.mark.parametrize("auth", ["superuser", "user", "anonymous"])
def test_schemathesis_finds_no_server_error(auth, wharf_factory, tmp_path, capsys):
    server = wharf_factory(users=None)  # no user yet: /user/initialize makes the superuser
    seeded = seed(server)
    config, reports = tmp_path / "schemathesis.toml", tmp_path / "reports"
    discovery = quay(server, None, "GET", "/discovery").json()
    toml_config(config, seeded[auth], seeded["known"], seeded["overrides"], numeric_body_fields(discovery))
    env = dict(os.environ, NO_COLOR="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
           f"{server.url}/api/v1/discovery", "--checks", "not_a_server_error", "--workers", "1",
           "--seed", str(FUZZ_SEED), "--report", "ndjson", "--report-dir", str(reports)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=RUN_TIMEOUT,
                          env=env, cwd=tmp_path)
    ndjson = next(reports.glob("*.ndjson"), None)
    assert proc.returncode in (0, 1) and ndjson, "Schemathesis did not run:\n" + describe(proc)

    found = findings(ndjson)
    problems = [f"server error: {text}" for text in found["server_errors"].values()]
    problems += [f"no answer: {text}" for text in found["unanswered"]]
    problems += [f"Schemathesis error: {text}" for text in found["errors"]]
    summary(capsys, f"FUZZ quay {auth}: operations={len(found['operations'])} requests={found['requests']} "
                    f"failures={len(problems)} (WHARF_FUZZ_SEED={FUZZ_SEED} WHARF_FUZZ_EXAMPLES={FUZZ_EXAMPLES})")
    crash = crash_report(server)
    if problems or crash:
        pytest.fail(f"Quay API fuzzing as {auth} (WHARF_FUZZ_SEED={FUZZ_SEED}; every request is in {ndjson}):\n"
                    + "\n".join(problems) + f"\n{crash or ''}", pytrace=False)
    assert_alive(server, f"fuzzing the Quay API as {auth}")
