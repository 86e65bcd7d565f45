"""A whole workshop in a real headless Chromium, from login to the exported report.

Debian's ``chromium`` (``/usr/bin/chromium``) is driven by Playwright for Python; Playwright's
own browser download is never used. The server is ``failmodes serve`` started from this
checkout, over a register holding the fraud example and an admin. In the browser: the admin
adds an editor; the editor sees the systems' heat map, records the scan's assessment from its
file and sees its plots, edits the profile and watches it validated as she types, walks every
mode of the agenda (deciding some, skipping the rest, commenting), finishes, and downloads the
reports and the register. The same answers through the workshop core, and typed into
``failmodes workshop`` in a real terminal, must give the same register.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from failmodes.report.contract import from_json, load
from failmodes.store import open_register
from failmodes.web import create_admin
from tests.web.conftest import (
    FRAUD,
    PASSWORD,
    SYSTEM,
    assessment_file,
    start_server,
    stop_server,
)
from tests.web.plan import PLAN, in_core, in_terminal, register_of

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EDITED = FRAUD.replace("under 50 ms", "under 40 ms")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="no /usr/bin/chromium: install Debian's browser with `apt-get install -y chromium`",
)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    register = folder / "register.sqlite"
    (folder / "profile.yaml").write_text(FRAUD, encoding="utf-8")
    assessment = assessment_file(folder)
    with open_register(register) as opened:  # what `failmodes register add` does
        opened.add_profile(FRAUD, actor="ana", source=str(folder / "profile.yaml"))
    create_admin(register, "ada", PASSWORD)
    server = start_server(register)
    yield server, folder, assessment
    stop_server(server)


def test_a_whole_workshop_in_the_browser(served, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    server, folder, assessment = served
    problems: list[str] = []
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            tab = browser.new_context(accept_downloads=True).new_page()
            tab.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            tab.on(
                "response",
                lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            tab.on(
                "console",
                lambda m: problems.append(f"{m.type}: {m.text}") if m.type == "error" else None,
            )
            tab.on(
                "request",
                lambda r: None if r.url.startswith(server.url) else outside.append(r.url),
            )

            def log_in(name: str) -> None:
                tab.goto(server.url + "/")
                expect(tab).to_have_url(server.url + "/login?next=%2F")
                tab.get_by_label("Name").fill(name)
                tab.get_by_label("Password").fill(PASSWORD)
                tab.get_by_role("button", name="Log in").click()
                expect(tab.get_by_role("heading", name="Systems")).to_be_visible()

            # the admin adds an editor
            log_in("ada")
            tab.get_by_role("link", name="Users").click()
            tab.get_by_label("Name").fill("ana")
            tab.get_by_label("Password").fill(PASSWORD)
            tab.get_by_label("Role").select_option("editor")
            tab.get_by_role("button", name="Add user").click()
            expect(tab.locator("tbody")).to_contain_text("editor")
            tab.get_by_role("button", name="Log out").click()

            # the editor: systems at a glance, then the profile, validated as she types
            log_in("ana")
            heat = tab.locator("figure.heat svg")
            expect(heat).to_be_visible()
            assert heat.bounding_box()["height"] > 100
            tab.get_by_role("link", name="Card-not-present fraud scoring").click()
            # the scan's assessment, recorded from its file; its plots on the evidence page
            tab.get_by_role("link", name="Evidence", exact=True).click()
            tab.get_by_label("Assessment file").set_input_files(str(assessment))
            expect(tab.locator("#assessment-text")).not_to_be_empty()
            tab.get_by_role("button", name="Record assessment").click()
            expect(tab.locator("figure.plot svg")).to_have_count(2)
            assert tab.locator("figure.plot svg").first.bounding_box()["width"] > 200
            tab.get_by_role("link", name="Card-not-present fraud scoring").click()
            tab.get_by_role("link", name="Profile", exact=True).click()
            editor = tab.locator("#profile-text")
            editor.fill(EDITED.replace("task: classification", "task: telepathy"))
            expect(tab.locator("#problems")).to_contain_text("1 problem(s):")
            expect(tab.locator("#problems code")).to_have_text("task")
            expect(tab.locator("#problems li")).to_contain_text("line 10:")
            editor.fill(EDITED)
            expect(tab.locator("#problems")).to_contain_text("The profile is valid.")
            tab.get_by_role("button", name="Save profile").click()
            expect(tab.locator(".lede")).to_contain_text("profile v2")

            # the workshop: every mode of the agenda, in order
            tab.get_by_role("link", name="Workshop").click()
            walked = []
            while tab.locator("#item[data-mode]").count():
                mode = tab.locator("#item").get_attribute("data-mode")
                answers = PLAN.get(mode)
                form = tab.locator("#decision-form")
                if answers is None:
                    form.get_by_role("button", name="Skip for now").click()
                else:
                    form.locator(f'input[name=decision][value="{answers["decision"]}"]').check()
                    form.get_by_label("Owner").fill(answers["owner"])
                    form.get_by_label("Rationale").fill(answers["rationale"])
                    form.get_by_label("Mitigations in place").fill(answers["mitigations"])
                    form.get_by_label("Due").fill(answers["due"])
                    form.get_by_label("Status").select_option(answers["status"])
                    form.get_by_label("Comment (optional)").fill(answers["comment"])
                    form.get_by_role("button", name="Record decision").click()
                walked.append(mode)
                expect(
                    tab.locator(f'nav.agenda a[data-mode="{mode}"] + .badge + .step')
                ).to_have_text("skipped" if answers is None else "decided")
            assert len(walked) == 11
            expect(tab.get_by_role("heading", name="All modes done")).to_be_visible()
            tab.get_by_role("link", name="perturbation attack", exact=False).first.click()
            expect(tab.locator("ul.comments .body")).to_have_text(
                PLAN["perturbation_attack"]["comment"]
            )
            tab.get_by_role("button", name="Finish the workshop").click()

            # the exports, as downloads
            files = {}
            for label in ("md", "html", "json", "YAML"):
                with tab.expect_download() as download:
                    tab.get_by_role("link", name=label, exact=True).click()
                path = tmp_path / download.value.suggested_filename
                download.value.save_as(path)
                files[label] = path
        finally:
            browser.close()

    assert problems == [] and outside == []
    report = from_json(files["json"].read_text(encoding="utf-8"), source="download")
    assert report.get("model_stealing").decision.decision.value == "accept"
    assert "feature ranges are checked at the API" in files["md"].read_text(encoding="utf-8")
    assert "<svg" in files["html"].read_text(encoding="utf-8")
    exported = yaml.safe_load(files["YAML"].read_text(encoding="utf-8"))
    json.dumps(exported)

    # the same answers through the core, as the terminal gives them: the same register
    with open_register(tmp_path / "terminal.sqlite") as terminal:
        terminal.add_profile(FRAUD, actor="ana", source=str(folder / "profile.yaml"))
        terminal.add_assessment(load(assessment), actor="ana")
        terminal.add_profile(EDITED, actor="ana")
        in_core(terminal, SYSTEM, "ana")
        expected = register_of(terminal, SYSTEM)
    with open_register(server.register) as web:
        assert register_of(web, SYSTEM) == expected

    # and typed into `failmodes workshop` on a real terminal, over a register that holds the
    # same profile versions and assessment: the same register again
    typed = tmp_path / "terminal"
    typed.mkdir()
    with open_register(typed / "register.sqlite") as terminal:
        terminal.add_profile(FRAUD, actor="ana", source=str(folder / "profile.yaml"))
        terminal.add_assessment(load(assessment), actor="ana")
        terminal.add_profile(EDITED, actor="ana")
    (typed / "profile.yaml").write_text(EDITED, encoding="utf-8")
    in_terminal(typed, typed / "register.sqlite")
    with open_register(typed / "register.sqlite") as terminal:
        assert register_of(terminal, SYSTEM) == expected
