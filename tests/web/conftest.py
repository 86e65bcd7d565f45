"""A real ``failmodes serve`` on loopback over a real register, and clients that log in to it.

The server is started the way a user starts it (``python -m failmodes serve``, after
``--create-admin``), in its own process, on a free port; the tests talk to it over HTTP.
The register holds the fraud example with the demo's real assessment (the renderers' golden
file: findings and plots from real probes), and four accounts: an admin, two editors and a
viewer, the last three added by the admin through the users page.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO

httpx = pytest.importorskip("httpx", reason="the web tests need failmodes[dev] (httpx)")
pytest.importorskip("starlette", reason="the web app needs failmodes[web]")

FRAUD = (EXAMPLES / "fraud-detection.yaml").read_text(encoding="utf-8")
GOLDEN = REPO / "tests" / "report" / "golden" / "assessment.json"
#: Findings whose plots the test assessment keeps; Matplotlib draws each in about a second on
#: a loaded machine, and two show that evidence pages draw them.
PLOTTED = {"model_stealing", "membership_inference"}
SYSTEM = "card-not-present-fraud-scoring"
PASSWORD = "correct horse battery"
ACCOUNTS = {"ana": "editor", "bo": "editor", "vi": "viewer"}
_HIDDEN = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def failmodes(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "failmodes", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


@dataclass
class Server:
    url: str
    register: str  # a SQLite path or a postgresql:// URL
    process: subprocess.Popen[str]


def start_server(register: str | Path) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "failmodes",
            "serve",
            "--register",
            str(register),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"failmodes serve exited: {process.stdout.read()}")  # type: ignore[union-attr]
        try:
            httpx.get(url + "/login", timeout=1)
            return Server(url, str(register), process)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("failmodes serve did not answer within 60 s")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


def assessment_file(folder: Path) -> Path:
    """The demo's real assessment (the renderers' golden file), with the plots of the modes in
    :data:`PLOTTED` only."""
    from failmodes.report.contract import load, to_json

    model = load(GOLDEN)
    modes = [
        m.model_copy(
            update={
                "findings": [
                    f.model_copy(
                        update={"evidence": {k: v for k, v in f.evidence.items() if k != "plots"}}
                    )
                    for f in m.findings
                ]
            }
        )
        if m.id not in PLOTTED
        else m
        for m in model.modes
    ]
    path = folder / "assessment.json"
    path.write_text(to_json(model.model_copy(update={"modes": modes})), encoding="utf-8")
    return path


def fill_register(register: str | Path, folder: Path) -> None:
    """The fraud example with the demo's assessment, and the first admin."""
    done = failmodes(
        "serve",
        "--register",
        str(register),
        "--create-admin",
        "ada",
        env={"FAILMODES_ADMIN_PASSWORD": PASSWORD},
    )
    assert done.returncode == 0, done.stderr
    from failmodes.report.contract import load
    from failmodes.store import open_register

    with open_register(register) as opened:
        opened.add_profile(FRAUD, actor="ada", source="fraud-detection.yaml")
        opened.add_assessment(load(assessment_file(folder)), actor="ada")


class Client:
    """One person's browser without the browser: cookies, and the CSRF token of the session."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
        self.csrf = ""

    def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        form = self.http.get("/login")
        token = _HIDDEN.search(form.text)
        assert token is not None, form.text
        answer = self.http.post(
            "/login", data={"csrf": token.group(1), "name": name, "password": password}
        )
        if answer.status_code == 303:
            self.csrf = self.token("/")
        return answer

    def token(self, path: str) -> str:
        """The session's CSRF token, as the page at ``path`` carries it."""
        page = self.http.get(path)
        found = _HIDDEN.search(page.text)
        assert found is not None, page.text[:500]
        return found.group(1)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.http.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True):
        body = dict(data or {})
        if csrf:
            body["csrf"] = self.csrf
        return self.http.post(path, data=body)

    def close(self) -> None:
        self.http.close()


def serve_filled(register: str | Path, folder: Path) -> Server:
    """A server over a filled register, with the accounts the admin added on the users page."""
    fill_register(register, folder)
    running = start_server(register)
    admin = Client(running.url)
    assert admin.login("ada").status_code == 303
    for name, role in ACCOUNTS.items():
        added = admin.post("/users", {"name": name, "password": PASSWORD, "role": role})
        assert added.status_code == 303, added.text
    admin.close()
    return running


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web")
    running = serve_filled(folder / "register.sqlite", folder)
    yield running
    stop_server(running)


@pytest.fixture
def login(server) -> Iterator[object]:
    """``login(name)``: a client logged in as ``name``; all closed after the test."""
    clients: list[Client] = []

    def make(name: str) -> Client:
        client = Client(server.url)
        assert client.login(name).status_code == 303
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
