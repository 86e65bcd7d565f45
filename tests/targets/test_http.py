"""HttpTarget against a real HTTP server on 127.0.0.1 that serves a real scikit-learn model."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from failmodes.errors import DataError, InputError
from failmodes.profile import load_profile
from failmodes.targets import http as http_module
from failmodes.targets.base import Capability, QueryBudgetExceeded
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.http import HttpTarget
from failmodes.targets.loading import load_target

#: The endpoint's credential in the auth tests: long and unlike anything else in a report.
TOKEN = "tok-5f1c9e2a7b3d4e8f"


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, model: Any) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.model = model
        self.behaviour = "ok"
        self.failures_left = 0
        self.bodies: list[dict[str, Any]] = []
        self.credentials: list[str | None] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client that timed out hung up before the slow answer; expected

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/predict"


class Handler(BaseHTTPRequestHandler):
    server: ModelServer
    replies: ClassVar[dict[str, bytes]] = {
        "bad_json": b"<html>502 Bad Gateway</html>",
        "no_predictions": b'{"labels": [1]}',
    }

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.bodies.append(body)
        self.server.credentials.append(self.headers.get("Authorization"))
        behaviour = self.server.behaviour
        if behaviour == "auth" and self.headers.get("Authorization") != f"Bearer {TOKEN}":
            # A careless server that quotes the credential it refused back to the client.
            return self._send(401, f"bad token {self.headers.get('Authorization')}".encode())
        if self.server.failures_left > 0:
            self.server.failures_left -= 1
            return self._send(503, b"overloaded")
        if behaviour == "slow":
            time.sleep(0.5)
        if behaviour == "bad_request":
            return self._send(400, b"expected 4 features")
        if behaviour == "unauthorized":
            return self._send(401, b"")
        if behaviour in self.replies:
            return self._send(200, self.replies[behaviour])
        X = pd.DataFrame(body["instances"], columns=body.get("columns"))
        model = self.server.model
        answer: dict[str, Any] = {"predictions": model.predict(X.to_numpy()).tolist()}
        if behaviour == "short":
            answer["predictions"] = answer["predictions"][:-1]
        if behaviour != "labels_only":
            answer["probabilities"] = model.predict_proba(X.to_numpy()).tolist()
            answer["classes"] = model.classes_.tolist()
        self._send(200, json.dumps(answer).encode())

    def _send(self, code: int, payload: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture(scope="module")
def iris() -> tuple[pd.DataFrame, np.ndarray, LogisticRegression]:
    data = load_iris(as_frame=True)
    X, y = data.data, data.target.to_numpy()
    return X, y, LogisticRegression(max_iter=500).fit(X.to_numpy(), y)


@pytest.fixture(scope="module")
def server(iris) -> Iterator[ModelServer]:
    srv = ModelServer(iris[2])
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def srv(server: ModelServer) -> ModelServer:
    server.behaviour, server.failures_left = "ok", 0
    server.bodies.clear()
    server.credentials.clear()
    return server


def test_scores_and_labels_match_the_served_model(srv, iris):
    X, _, model = iris
    target = HttpTarget(srv.url, batch_size=64)
    proba = target.predict_proba(X)
    np.testing.assert_allclose(proba, model.predict_proba(X.to_numpy()))
    np.testing.assert_array_equal(target.predict(X.iloc[:10]), model.predict(X.to_numpy()[:10]))
    assert target.classes.tolist() == [0, 1, 2]
    assert target.queries == 160
    # 150 rows in batches of 64, then 10 rows: 3 + 1 requests; columns travel with the rows
    assert [len(b["instances"]) for b in srv.bodies] == [64, 64, 22, 10]
    assert srv.bodies[0]["columns"] == list(X.columns)
    assert srv.bodies[0]["instances"][0] == X.iloc[0].tolist()


def test_arrays_are_sent_without_columns(srv, iris):
    X, _, model = iris
    labels = HttpTarget(srv.url).predict(X.to_numpy()[:3])
    assert labels.tolist() == model.predict(X.to_numpy()[:3]).tolist()
    assert "columns" not in srv.bodies[0]


def test_capabilities_are_learned_from_the_first_answer(srv, iris):
    X = iris[0]
    srv.behaviour = "labels_only"
    target = HttpTarget(srv.url)
    assert Capability.SCORES in target.capabilities  # not known yet: assumed, then asked
    assert target.detect(X) == frozenset({Capability.LABELS})
    assert target.queries == 1 and len(srv.bodies) == 1
    srv.behaviour = "ok"
    assert HttpTarget(srv.url).detect(X) == frozenset({Capability.LABELS, Capability.SCORES})


def test_a_score_probe_on_a_label_only_endpoint_gets_a_clear_error(srv, iris):
    srv.behaviour = "labels_only"
    with pytest.raises(DataError, match="returns no `probabilities`, so it offers labels only"):
        HttpTarget(srv.url).predict_proba(iris[0].iloc[:2])
    with pytest.raises(DataError, match="declared with scores"):
        HttpTarget(srv.url, scores=True).predict(iris[0].iloc[:2])


def test_transient_failures_are_retried(srv, iris):
    srv.failures_left = 2
    target = HttpTarget(srv.url, retries=2, backoff_s=0)
    assert len(target.predict(iris[0].iloc[:5])) == 5
    assert len(srv.bodies) == 3


def test_retries_give_up_with_the_last_problem(srv, iris):
    srv.failures_left = 5
    target = HttpTarget(srv.url, retries=1, backoff_s=0)
    with pytest.raises(DataError) as err:
        target.predict(iris[0].iloc[:5])
    assert str(err.value) == (
        f"cannot reach http://127.0.0.1:{srv.server_address[1]}/predict after 2 attempts: "
        "HTTP 503 Service Unavailable: overloaded; check target.endpoint."
    )
    assert len(srv.bodies) == 2


def test_backoff_doubles(srv, iris, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(http_module, "sleep", waits.append)
    srv.failures_left = 3
    HttpTarget(srv.url, retries=3, backoff_s=0.25).predict(iris[0].iloc[:1])
    assert waits == [0.25, 0.5, 1.0]


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("bad_request", r"\(HTTP 400 Bad Request: expected 4 features\); check that it accepts"),
        (
            "unauthorized",
            r"\(HTTP 401 Unauthorized\); check the credential \(profile `target.auth`\)",
        ),
    ],
)
def test_client_errors_are_not_retried(srv, iris, behaviour, message):
    srv.behaviour = behaviour
    with pytest.raises(DataError, match=message):
        HttpTarget(srv.url, retries=3, backoff_s=0).predict(iris[0].iloc[:1])
    assert len(srv.bodies) == 1


def test_budget_is_enforced_before_sending(srv, iris):
    target = HttpTarget(srv.url, budget=10)
    target.predict(iris[0].iloc[:6])
    with pytest.raises(QueryBudgetExceeded, match="budget of 10 exhausted"):
        target.predict(iris[0].iloc[:5])
    assert target.queries == 6 and len(srv.bodies) == 1


def test_timeout(srv, iris):
    srv.behaviour = "slow"
    target = HttpTarget(srv.url, timeout_s=0.1, retries=0)
    with pytest.raises(DataError, match=r"/predict: no answer within 0.1 s; check target.endpoint"):
        target.predict(iris[0].iloc[:1])


def test_unreachable_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = HttpTarget(f"http://127.0.0.1:{port}/predict", retries=1, backoff_s=0)
    with pytest.raises(DataError) as err:
        target.predict(np.zeros((1, 4)))
    assert str(err.value) == (
        f"cannot reach http://127.0.0.1:{port}/predict after 2 attempts: connection refused; "
        "check target.endpoint."
    )


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("bad_json", r"answered with something that is not JSON \('<html>502"),
        ("no_predictions", "answered without `predictions`"),
        ("short", "returned `predictions` that is not a list of 3 values"),
    ],
)
def test_malformed_answers(srv, iris, behaviour, message):
    srv.behaviour = behaviour
    with pytest.raises(DataError, match=message):
        HttpTarget(srv.url).predict(iris[0].iloc[:3])


def test_rate_limit_spaces_requests(srv, iris, monkeypatch):
    clock = [100.0]
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(http_module, "monotonic", lambda: clock[0])
    monkeypatch.setattr(http_module, "sleep", fake_sleep)
    target = HttpTarget(srv.url, rate_limit_per_s=4, batch_size=2)
    target.predict(iris[0].iloc[:6])  # three requests, no time passes between them
    assert waits == [0.25, 0.25]


def test_credentials_never_reach_the_description():
    target = HttpTarget("https://user:secret@models.example.com:8443/v1/predict?key=abc")
    assert target.describe() == "HTTP endpoint https://models.example.com:8443/v1/predict"


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        ("file:///etc/passwd", {}, "is not an http:// or https:// URL"),
        ("http://x/p", {"timeout_s": 0, "retries": -1}, "timeout_s must be > 0 .got 0.; retries"),
    ],
)
def test_bad_settings(url, kwargs, message):
    with pytest.raises(InputError, match=message):
        HttpTarget(url, **kwargs)


def test_load_target_learns_capabilities_with_one_row(srv, iris, tmp_path):
    srv.behaviour = "labels_only"
    (tmp_path / "p.yaml").write_text(f"name: Served\ntarget:\n  endpoint: {srv.url}\n")
    data = DataBundle(test=Dataset("test", iris[0], iris[1]))
    target = load_target(load_profile(tmp_path / "p.yaml"), data=data)
    assert target.capabilities == frozenset({Capability.LABELS})
    assert target.queries == 1 and len(srv.bodies[0]["instances"]) == 1


def served_profile(folder, url: str, iris, **auth: str):
    X, y, _ = iris
    X.assign(species=y).to_csv(folder / "test.csv", index=False)
    profile = {
        "name": "Served iris",
        "target": {
            "endpoint": url,
            "auth": {"env": "IRIS_API_TOKEN", "scheme": "Bearer", **auth},
            "label_column": "species",
            "data": {"test": "test.csv"},
        },
    }
    path = folder / "profile.yaml"
    path.write_text(json.dumps(profile))  # JSON is YAML
    return path


def test_the_credential_comes_from_the_environment(srv, iris, tmp_path, monkeypatch):
    srv.behaviour = "auth"
    monkeypatch.setenv("IRIS_API_TOKEN", TOKEN)
    target = load_target(load_profile(served_profile(tmp_path, srv.url, iris)))
    rows = iris[0].iloc[:3]
    assert (target.predict(rows) == iris[2].predict(rows.to_numpy())).all()
    assert srv.credentials == [f"Bearer {TOKEN}"]


def test_a_scan_never_writes_the_credential(srv, iris, tmp_path, monkeypatch):
    """Sent on every request, and in nothing the scan writes or prints: not the assessment,
    not any report format, not the terminal."""
    from typer.testing import CliRunner

    from failmodes.cli import app

    srv.behaviour = "auth"
    monkeypatch.setenv("IRIS_API_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    profile = served_profile(tmp_path, srv.url, iris)
    runner = CliRunner()
    scan = runner.invoke(
        app,
        ["scan", str(profile), "--probe", "natural_adversarial_examples", "-o", "a.json"],
        env={"COLUMNS": "200"},
    )
    assert scan.exit_code in (0, 1), scan.output
    outputs = [scan.output]
    for fmt in ("html", "md", "sarif", "junit", "json"):
        shown = runner.invoke(app, ["report", "a.json", "--format", fmt])
        assert shown.exit_code == 0, shown.output
        outputs.append(shown.output)
    outputs += [p.read_text() for p in tmp_path.rglob("*") if p.is_file()]
    assert len(srv.credentials) > 1 and set(srv.credentials) == {f"Bearer {TOKEN}"}
    assert "IRIS_API_TOKEN" in (tmp_path / "a.json").read_text()  # the variable's name …
    assert not [o for o in outputs if TOKEN in o]  # … never its value


def test_a_refused_credential_is_masked_in_the_error(srv, iris, tmp_path, monkeypatch):
    srv.behaviour = "auth"
    wrong = "tok-0000-wrong-0000"
    monkeypatch.setenv("IRIS_API_TOKEN", wrong)
    target = load_target(load_profile(served_profile(tmp_path, srv.url, iris)))
    with pytest.raises(DataError) as caught:
        target.predict(iris[0].iloc[:1])
    message = str(caught.value)
    assert wrong not in message and "bad token ***" in message
    assert "check the credential (profile `target.auth`)" in message
    assert srv.credentials == [f"Bearer {wrong}"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "environment variable IRIS_API_TOKEN is not set; export"),
        ("  ", "environment variable IRIS_API_TOKEN is not set"),
        ("abc\r\nX-Injected: 1", "holds a line break"),
    ],
)
def test_a_missing_or_broken_credential_is_a_clear_error(
    srv, iris, tmp_path, monkeypatch, *, value, message
):
    if value is None:
        monkeypatch.delenv("IRIS_API_TOKEN", raising=False)
    else:
        monkeypatch.setenv("IRIS_API_TOKEN", value)
    with pytest.raises(InputError, match=message) as caught:
        load_target(load_profile(served_profile(tmp_path, srv.url, iris)))
    assert "X-Injected" not in str(caught.value)
    assert srv.credentials == []


def test_auth_without_an_endpoint_is_refused(tmp_path):
    from failmodes.errors import ProfileError

    (tmp_path / "p.yaml").write_text("name: S\ntarget:\n  model: m.skops\n  auth: {env: TOKEN}\n")
    with pytest.raises(ProfileError, match="`auth` is a credential for `endpoint`"):
        load_profile(tmp_path / "p.yaml")
