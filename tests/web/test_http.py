"""``failmodes serve`` over HTTP: logins, roles, CSRF, two editors at once, hostile input.

Every test talks to the real server the fixture started, as a browser would (cookies, forms),
and checks what the register holds afterwards by opening it directly.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import socket

import pytest
import yaml

from failmodes.report.contract import from_json
from failmodes.store import open_register
from failmodes.store.exchange import export_text, import_data
from tests.web.conftest import FRAUD, PASSWORD, SYSTEM, Client
from tests.web.plan import PLAN, in_core, register_of

MODE = "model_stealing"


def decision(rationale: str, owner: str = "ana", revision: int = 0, **extra: str) -> dict[str, str]:
    return {
        "action": "decide",
        "decision": "mitigate",
        "owner": owner,
        "rationale": rationale,
        "mitigations": "rate limits\nquery auditing",
        "due": "2027-03-01",
        "status": "planned",
        "revision": str(revision),
        **extra,
    }


def history_size(server) -> int:
    with open_register(server.register) as register:
        return len(register.history())


def test_a_stranger_is_sent_to_log_in_and_a_wrong_password_says_nothing_more(server):
    stranger = Client(server.url)
    first = stranger.get(f"/systems/{SYSTEM}")
    assert first.status_code == 303
    assert first.headers["location"] == f"/login?next=%2Fsystems%2F{SYSTEM}"
    for name, password in (("ana", "wrong password"), ("nobody", PASSWORD)):
        refused = stranger.login(name, password)
        assert refused.status_code == 401
        assert "The name or the password is wrong." in refused.text
        assert "failmodes_session" not in refused.headers.get("set-cookie", "")
    accepted = stranger.login("ana")
    cookie = accepted.headers["set-cookie"]
    assert "failmodes_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    page = stranger.get("/")
    assert page.status_code == 200 and "Card-not-present fraud scoring" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert stranger.post("/logout").status_code == 303
    assert stranger.get("/").status_code == 303  # the session is gone from the register
    stranger.close()


def test_an_open_redirect_after_login_is_refused(server):
    client = Client(server.url)
    form = client.get("/login?next=//evil.example/x")
    token = form.text.split('name="csrf" value="')[1].split('"')[0]
    assert 'value="/"' in form.text  # the next target became the home page
    answer = client.http.post(
        "/login",
        data={"csrf": token, "name": "ana", "password": PASSWORD, "next": "https://evil.example"},
    )
    assert answer.headers["location"] == "/"
    client.close()


def _state_changing_routes(server) -> list[str]:
    """Every POST route of the app, with its path parameters filled in."""
    from failmodes.web import create_app

    app = create_app(server.register)
    paths = []
    for route in app.routes:
        if "POST" in (getattr(route, "methods", None) or ()):
            paths.append(route.path.format(system=SYSTEM, mode=MODE))
    return paths


def test_a_viewer_cannot_change_anything(server, login):
    viewer = login("vi")
    routes = _state_changing_routes(server)
    assert len(routes) >= 8
    before = history_size(server)
    bodies = {
        "/systems": {"text": FRAUD.replace("Card-not-present", "Viewer's")},
        f"/systems/{SYSTEM}/profile": {"text": FRAUD + "\n# edited\n"},
        "/users": {"name": "mallory", "password": PASSWORD, "role": "admin"},
        f"/systems/{SYSTEM}/modes/{MODE}/comments": {"body": "a viewer's comment"},
        f"/systems/{SYSTEM}/workshop/{MODE}": decision("a viewer's decision"),
        "/validate": {"text": FRAUD},
    }
    for path in routes:
        if path in ("/login", "/logout"):
            continue
        answer = viewer.post(path, bodies.get(path, {}))
        assert answer.status_code == 403, path
    assert history_size(server) == before
    # Reading is allowed, and the pages offer the viewer no form that changes anything.
    page = viewer.get(f"/systems/{SYSTEM}/workshop?mode={MODE}")
    assert page.status_code == 200
    assert "Record decision" not in page.text and "Add comment" not in page.text


def test_a_request_without_the_right_csrf_token_is_refused(server, login):
    ana = login("ana")
    before = history_size(server)
    path = f"/systems/{SYSTEM}/modes/{MODE}/comments"
    assert ana.post(path, {"body": "no token"}, csrf=False).status_code == 403
    assert ana.http.post(path, data={"body": "bad", "csrf": "x" * 43}).status_code == 403
    validate = ana.http.post("/validate", json={"text": FRAUD})  # script without the header
    assert validate.status_code == 403
    assert history_size(server) == before
    # The login form is protected too: its token must match its cookie.
    fresh = Client(server.url)
    refused = fresh.http.post("/login", data={"name": "ana", "password": PASSWORD})
    assert refused.status_code == 403
    fresh.close()
    assert ana.post(path, {"body": "with the token"}).status_code == 303
    assert history_size(server) == before + 1


def test_two_editors_on_one_mode_lose_neither_decision(server, login):
    ana, bo = login("ana"), login("bo")
    mode = "membership_inference"
    page = f"/systems/{SYSTEM}/workshop?mode={mode}"
    assert 'name="revision" value="0"' in ana.get(page).text
    assert 'name="revision" value="0"' in bo.get(page).text  # both read revision 0
    path = f"/systems/{SYSTEM}/workshop/{mode}"
    assert ana.post(path, decision("DP-SGD on the next retrain", owner="ana")).status_code == 303
    late = bo.post(path, decision("Only labels leave the API", owner="bo", status="done"))
    assert late.status_code == 409
    assert "ana changed the decision" in late.text
    assert "Only labels leave the API" in late.text  # bo's answers are kept as typed
    assert "DP-SGD on the next retrain" in late.text  # next to ana's decision
    assert 'name="revision" value="1"' in late.text
    with open_register(server.register) as register:
        assert register.decisions(SYSTEM)[mode].rationale == "DP-SGD on the next retrain"
    again = bo.post(
        path, decision("Only labels leave the API", owner="bo", status="done", revision=1)
    )
    assert again.status_code == 303
    with open_register(server.register) as register:
        now = register.decisions(SYSTEM)[mode]
        changes = [h for h in register.history(SYSTEM, mode) if h.action == "decide"]
    assert (now.owner, now.revision, now.status.value) == ("bo", 2, "done")
    assert [(h.actor, h.after["rationale"]) for h in changes] == [
        ("ana", "DP-SGD on the next retrain"),
        ("bo", "Only labels leave the API"),
    ]
    # On different modes at the same time nothing conflicts, and each sees the other's.
    assert ana.post(f"/systems/{SYSTEM}/workshop/{MODE}", decision("quotas")).status_code == 303
    shift = f"/systems/{SYSTEM}/workshop/distributional_shift"
    assert bo.post(shift, decision("drift monitor", owner="bo")).status_code == 303
    for client in (ana, bo):
        rows = client.get(f"/systems/{SYSTEM}").text
        for mode_id in (MODE, "distributional_shift", "membership_inference"):
            row = rows.split(f'id="row-{mode_id}"')[1].split("</tr>")[0]
            assert '<td class="decision">mitigate</td>' in row, (mode_id, row)


def test_sql_in_a_system_name_and_script_in_a_comment_are_inert(server, login):
    ana = login("ana")
    name = "Robert'); DROP TABLE systems;-- <b>x</b>"
    profile = FRAUD.replace("name: Card-not-present fraud scoring", f'name: "{name}"')
    added = ana.post("/systems", {"text": profile})
    assert added.status_code == 303, added.text
    sid = added.headers["location"].rsplit("/", 1)[1]
    assert sid == "robert-drop-table-systems-b-x-b"
    script = "<script>alert('owned')</script>"
    assert ana.post(f"/systems/{sid}/modes/{MODE}/comments", {"body": script}).status_code == 303
    page = ana.get(f"/systems/{sid}/workshop?mode={MODE}").text
    assert script not in page and html.escape(script, quote=False) in page.replace("&#39;", "'")
    overview = ana.get("/").text
    assert "<b>x</b>" not in overview and "&lt;b&gt;x&lt;/b&gt;" in overview
    with open_register(server.register) as register:
        names = {s.id: s.name for s in register.systems()}
        assert names[sid] == name and SYSTEM in names  # stored as typed; nothing dropped
        assert register.comments(sid, MODE)[-1].body == script


def test_the_validate_endpoint_gives_every_problem_with_its_path(server, login):
    ana = login("ana")
    bad = FRAUD.replace("task: classification", "task: telepathy").replace(
        "exposure: authenticated_customers", "exposure: carrier_pigeon"
    )
    answer = ana.http.post("/validate", json={"text": bad}, headers={"X-CSRF-Token": ana.csrf})
    result = answer.json()
    assert result["ok"] is False
    paths = {p["path"]: p for p in result["problems"]}
    assert set(paths) == {"task", "deployment.exposure"}, result
    task_line = next(i for i, line in enumerate(bad.splitlines(), 1) if "telepathy" in line)
    assert paths["task"]["line"] == task_line
    assert "telepathy" in paths["task"]["message"]
    good = ana.http.post("/validate", json={"text": FRAUD}, headers={"X-CSRF-Token": ana.csrf})
    assert good.json() == {"ok": True, "problems": []}
    broken = ana.http.post(
        "/validate", json={"text": "name: [unclosed"}, headers={"X-CSRF-Token": ana.csrf}
    ).json()
    assert broken["ok"] is False and broken["problems"][0]["line"] == 1


def test_exports_are_the_command_lines_files(server, login):
    vi = login("vi")
    md = vi.get(f"/systems/{SYSTEM}/report.md")
    assert md.status_code == 200 and md.text.startswith("# ")
    assert "attachment" in md.headers["content-disposition"]
    page = vi.get(f"/systems/{SYSTEM}/report.html").text
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    model = from_json(vi.get(f"/systems/{SYSTEM}/report.json").text, source="download")
    assert model.profile.name == "Card-not-present fraud scoring"
    assert vi.get(f"/systems/{SYSTEM}/report.exe").status_code == 404
    exported = vi.get(f"/register.yaml?system={SYSTEM}")
    with open_register(server.register) as register:
        assert exported.text == export_text(register, "yaml", [SYSTEM])
    data = yaml.safe_load(exported.text)
    assert [s["id"] for s in data["systems"]] == [SYSTEM]
    json.dumps(data)  # plain data


def test_an_imported_export_is_the_same_register(server, login, tmp_path):
    exported = login("vi").get(f"/register.yaml?system={SYSTEM}").text
    with open_register(tmp_path / "copy.sqlite") as copy:
        import_data(copy, yaml.safe_load(exported), source="download")
        assert export_text(copy, "yaml") == exported


def test_pages_show_the_heat_map_evidence_and_history(server, login):
    vi = login("vi")
    overview = vi.get("/").text
    assert 'class="heat-svg"' in overview and "risk level in force" in overview
    system = vi.get(f"/systems/{SYSTEM}").text
    assert "Risk in force of 11 applicable failure modes" in system
    evidence = vi.get(f"/systems/{SYSTEM}/evidence").text
    assert evidence.count('class="plot-svg"') == 2  # model stealing's and membership's
    assert 'id="mode-membership_inference"' in evidence
    history = vi.get(f"/systems/{SYSTEM}/history").text
    assert "added system Card-not-present fraud scoring" in history
    assert vi.get("/users").status_code == 403  # admins only


def test_serve_refuses_what_it_cannot_serve_in_one_line(server, tmp_path):
    from tests.web.conftest import failmodes

    port = server.url.rsplit(":", 1)[1]
    taken = failmodes("serve", "--register", server.register, "--port", port)
    assert taken.returncode == 2 and "Address already in use" in taken.stderr

    empty = tmp_path / "empty.sqlite"
    done = failmodes("serve", "--register", str(empty))
    assert done.returncode == 2
    assert "--create-admin" in done.stderr and "Traceback" not in done.stderr
    short = failmodes(
        "serve",
        "--register",
        str(empty),
        "--create-admin",
        "x",
        env={"FAILMODES_ADMIN_PASSWORD": "short"},
    )
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


@pytest.mark.parametrize("password", ["correct horse battery", "ünïcödé pässwörd"])
def test_passwords_are_salted_scrypt_hashes(password):
    from failmodes.web.accounts import hash_password, verify_password

    first, second = hash_password(password), hash_password(password)
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert verify_password(password, first) and verify_password(password, second)
    assert not verify_password(password + " ", first)
    assert not verify_password(password, "md5$abc")


def test_a_workshop_over_http_gives_the_register_the_terminal_gives(server, login, tmp_path):
    ana = login("ana")
    profile = FRAUD.replace(
        "name: Card-not-present fraud scoring", "name: Fraud scoring, second market"
    )
    added = ana.post("/systems", {"text": profile})
    sid = added.headers["location"].rsplit("/", 1)[1]
    walked = []
    while True:
        page = ana.get(f"/systems/{sid}/workshop").text
        current = re.search(r'id="item" data-mode="([^"]+)"', page)
        if current is None:
            assert "All modes done" in page
            break
        mode = current.group(1)
        revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
        answers = PLAN.get(mode)
        body = {"action": "skip", "revision": revision, "comment": ""}
        if answers is not None:
            body = {"action": "decide", "revision": revision, **answers}
        assert ana.post(f"/systems/{sid}/workshop/{mode}", body).status_code == 303
        walked.append(mode)
    assert ana.post(f"/systems/{sid}/workshop/finish").status_code == 303
    assert len(walked) == 11 and set(PLAN) <= set(walked)

    with open_register(tmp_path / "terminal.sqlite") as terminal:
        terminal.add_profile(profile, actor="ana")
        in_core(terminal, sid, "ana")
        expected = register_of(terminal, sid)
    with open_register(server.register) as web:
        assert register_of(web, sid) == expected
        decided = web.decisions(sid)
    assert {m: d.decision.value for m, d in decided.items()} == {
        m: a["decision"] for m, a in PLAN.items()
    }


def _own_addresses() -> set[str]:
    """This machine's IPv4 addresses other than loopback (none on a machine without any)."""
    found = set()
    with contextlib.suppress(OSError):
        found |= {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # UDP: picks a route, sends nothing
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return {a for a in found if not a.startswith("127.")}


def test_the_server_listens_on_loopback_only(server):
    addresses = _own_addresses()
    if not addresses:
        pytest.skip("this machine has no address but loopback to try")
    port = int(server.url.rsplit(":", 1)[1])
    for address in addresses:
        with pytest.raises(OSError), socket.create_connection((address, port), timeout=5):
            pass


def test_a_body_over_the_limit_is_refused(server, login):
    from failmodes.web.app import MAX_BODY

    ana = login("ana")
    answer = ana.post("/validate", {"text": "x" * MAX_BODY})
    assert answer.status_code == 413 and "over 2,097,152 bytes" in answer.text
    assert (
        ana.http.post(
            "/validate",
            content=b"{",
            headers={"Content-Type": "application/json", "X-CSRF-Token": ana.csrf},
        ).status_code
        == 400
    )


def test_a_workshop_stopped_in_the_terminal_resumes_in_the_browser(server, login):
    from failmodes.workshop import begin, decide, skip

    profile = FRAUD.replace("name: Card-not-present fraud scoring", "name: Fraud, resumed")
    with open_register(server.register) as register:
        sid = register.add_profile(profile, actor="ana").system_id
        session = begin(register, sid, actor="ana")
        first, second, third = (item.mode_id for item in session.agenda.items[:3])
        session = decide(register, session, first, actor="ana", **PLAN["perturbation_attack"])
        skip(register, session, second, actor="ana")  # then the terminal stops
    bo = login("bo")
    page = bo.get(f"/systems/{sid}/workshop").text
    assert "2 of 11 modes done" in page
    assert f'id="item" data-mode="{third}"' in page
    agenda = page.split('aria-label="Agenda"')[1].split("</ol>")[0]
    assert agenda.count('class="step">decided<') == 1 and agenda.count('class="step">skipped<') == 1
    assert agenda.count('class="step">decided in the profile<') == 1  # membership inference
    shown = bo.get(f"/systems/{sid}/workshop?mode=membership_inference").text
    assert "The profile itself records: <strong>mitigate</strong>, owner privacy-office" in shown


def test_an_unknown_system_is_not_found(login):
    vi = login("vi")
    for path in ("/systems/nope", "/systems/nope/workshop", "/systems/nope/report.md"):
        answer = vi.get(path)
        assert answer.status_code == 404, path
        assert "no system 'nope' in the register" in html.unescape(answer.text), path


def test_a_bad_answer_is_refused_with_its_reason_and_the_form_kept(server, login):
    ana = login("ana")
    path = f"/systems/{SYSTEM}/workshop/model_inversion"
    before = history_size(server)
    blank = ana.post(path, decision("", owner="carol"))
    assert blank.status_code == 400
    assert "rationale: a decision needs one" in blank.text
    assert 'name="owner" value="carol"' in blank.text
    late = ana.post(path, decision("soon", due="next week"))
    assert late.status_code == 400 and "write it as YYYY-MM-DD" in html.unescape(late.text)
    assert history_size(server) == before


def test_an_editor_records_an_assessment_from_the_browser(server, login, tmp_path):
    from tests.web.conftest import assessment_file

    ana = login("ana")
    text = assessment_file(tmp_path).read_text(encoding="utf-8")
    path = f"/systems/{SYSTEM}/assessments"
    with open_register(server.register) as register:
        before = [a.id for a in register.assessments(SYSTEM)]
    assert ana.post(path, {"assessment": text}).status_code == 303  # the same file: one id
    other = ana.post(f"/systems/{SYSTEM}/assessments", {"assessment": "{not json"})
    assert other.status_code == 400
    elsewhere = FRAUD.replace("name: Card-not-present fraud scoring", "name: Elsewhere")
    sid = ana.post("/systems", {"text": elsewhere}).headers["location"].rsplit("/", 1)[1]
    wrong = ana.post(f"/systems/{sid}/assessments", {"assessment": text})
    assert wrong.status_code == 400
    assert f"is of {SYSTEM}, not of {sid}" in html.unescape(wrong.text)
    rerun = json.loads(text) | {"seed": 99}  # the same scan run again with another seed
    assert ana.post(path, {"assessment": json.dumps(rerun)}).status_code == 303
    with open_register(server.register) as register:
        now = register.assessments(SYSTEM)
        assert [a.id for a in now[:-1]] == before and now[-1].created_by == "ana"
        assert register.assessment(now[-1].id).seed == 99
        assert register.history(SYSTEM)[-1].summary == f"recorded assessment {now[-1].id}"
        assert register.assessments(sid) == []
    assert "Record assessment" in ana.get(f"/systems/{SYSTEM}/evidence").text
