"""A model behind a JSON-over-HTTP endpoint, queried as a black box.

Only the standard library speaks HTTP here (``urllib.request``), so a scan needs nothing
installed to reach a serving stack. The contract (``docs/targets.md``)::

    POST <url>   {"instances": [[f1, f2, …], …], "columns": ["f1", "f2", …]}
    200          {"predictions": [label, …],
                  "probabilities": [[p1, p2, …], …],   # optional: class scores
                  "classes": [c1, c2, …]}              # optional: their column order

``columns`` is sent when the inputs are a table; a server may ignore it. ``credentials`` are
headers sent with every request whose values are secret: they never appear in a description
or a message, even when a server quotes them back in an error. An endpoint is
reached with a timeout per request, retried with exponential backoff on connection errors,
timeouts, 429 and 5xx answers, paced by a client-side rate limit, and charged against the
query budget before anything is sent (one query per row, as for every target). Whether the
endpoint returns scores is declared (``scores=True``/``False``) or learned from its answers;
:meth:`HttpTarget.detect` learns it with one row before any probe asks.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.client import HTTPException
from time import monotonic, sleep
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from failmodes.errors import DataError, InputError
from failmodes.targets.base import Capability, Inputs, Target

#: HTTP statuses worth retrying: the server is busy or failed, not the request.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Characters of an error body quoted back to the user.
BODY_EXCERPT = 200


class HttpTarget(Target):
    """A prediction endpoint that takes rows and returns labels, and perhaps scores.

    ``scores``: ``True`` declares that the endpoint returns ``probabilities``, ``False``
    that it does not (probes that need scores are skipped); ``None`` learns it from the
    first answer and, until then, assumes it does, so that a probe finds out by asking
    rather than being skipped on a guess. ``retries`` is the number of extra attempts after
    a failed one, waiting ``backoff_s``, then twice that, and so on. ``rate_limit_per_s``
    caps requests (not rows) per second.
    """

    def __init__(
        self,
        url: str,
        *,
        budget: int | None = None,
        timeout_s: float = 10.0,
        retries: int = 2,
        rate_limit_per_s: float | None = None,
        batch_size: int = 64,
        headers: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
        classes: Any = None,
        scores: bool | None = None,
        backoff_s: float = 0.5,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(
                f"target endpoint {url!r} is not an http:// or https:// URL; check target.endpoint."
            )
        positive = {"timeout_s": timeout_s, "batch_size": batch_size}
        if rate_limit_per_s is not None:
            positive["rate_limit_per_s"] = rate_limit_per_s
        bad = [f"{k} must be > 0 (got {v})" for k, v in positive.items() if v <= 0]
        bad += [
            f"{k} must be ≥ 0 (got {v})"
            for k, v in (("retries", retries), ("backoff_s", backoff_s))
            if v < 0
        ]
        if bad:
            raise InputError(f"HttpTarget: {'; '.join(bad)}.")
        super().__init__(budget=budget, classes=classes)
        self.url = url
        self.timeout_s = timeout_s
        self.retries = retries
        self.rate_limit_per_s = rate_limit_per_s
        self.batch_size = batch_size
        self.backoff_s = backoff_s
        self._headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            **dict(headers or {}),
            **dict(credentials or {}),
        }
        # Each value, and its token without the scheme before it; longest first.
        self._secrets = sorted(
            {part for v in (credentials or {}).values() for part in (v, *v.split()[-1:])} - {""},
            key=len,
            reverse=True,
        )
        self._scores = scores
        self._last_request: float | None = None
        # Where reports may name it: scheme, host and path, never credentials or a query.
        self._shown = (
            f"{parts.scheme}://{parts.hostname}"
            + (f":{parts.port}" if parts.port else "")
            + parts.path
        )

    @property
    def capabilities(self) -> frozenset[Capability]:  # type: ignore[override]
        if self._scores is False:
            return frozenset({Capability.LABELS})
        return frozenset({Capability.LABELS, Capability.SCORES})

    def detect(self, X: Inputs) -> frozenset[Capability]:
        """Send the first row of ``X`` (one query) and learn whether scores come back."""
        if self._scores is None:
            self.predict(X[:1])
        return self.capabilities

    def describe(self) -> str:
        return f"HTTP endpoint {self._shown}"

    # -- the contract --------------------------------------------------------------------
    def _predict(self, X: Inputs) -> Any:
        return np.concatenate([batch["predictions"] for batch in self._ask(X)])

    def _predict_proba(self, X: Inputs) -> Any:
        answers = self._ask(X)
        if self._scores is False:
            raise DataError(
                f"{self._shown} returns no `probabilities`, so it offers labels only; "
                "probes that need scores are skipped from now on."
            )
        return np.concatenate([batch["probabilities"] for batch in answers])

    # -- the wire ------------------------------------------------------------------------
    def _ask(self, X: Inputs) -> list[dict[str, np.ndarray]]:
        rows, columns = _rows(X)
        answers = []
        for start in range(0, len(rows), self.batch_size):
            batch = rows[start : start + self.batch_size]
            answers.append(self._parse(self._post(_payload(batch, columns)), len(batch)))
        return answers

    def _post(self, body: bytes) -> bytes:
        """One request, paced and retried; a failure the user can fix is a DataError."""
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                sleep(self.backoff_s * 2 ** (attempt - 1))
            self._pace()
            request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
                self.url, data=body, headers=self._headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:  # noqa: S310
                    return bytes(answer.read())
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:BODY_EXCERPT].decode("utf-8", "replace").strip()
                problem = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
                if exc.code not in RETRY_STATUSES:
                    fix = (
                        "check the credential (profile `target.auth`)"
                        if exc.code in (401, 403)
                        else "check that it accepts the request format in docs/targets.md"
                    )
                    raise DataError(
                        f"{self._shown} refused the request ({self._masked(problem)}); {fix}."
                    ) from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                problem = (
                    f"no answer within {self.timeout_s:g} s"
                    if isinstance(reason, TimeoutError)
                    else str(getattr(reason, "strerror", None) or reason).lower()
                )
            except TimeoutError:
                problem = f"no answer within {self.timeout_s:g} s"
            except (HTTPException, ConnectionError) as exc:
                problem = f"{type(exc).__name__}: {exc}".rstrip(": ")
        tries = f" after {self.retries + 1} attempts" if self.retries else ""
        raise DataError(
            f"cannot reach {self._shown}{tries}: {self._masked(problem)}; check target.endpoint."
        )

    def _masked(self, text: str) -> str:
        """``text`` with every credential value replaced: servers quote headers back."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _pace(self) -> None:
        """Wait until the client-side rate limit allows the next request."""
        if self.rate_limit_per_s is not None and self._last_request is not None:
            wait = self._last_request + 1.0 / self.rate_limit_per_s - monotonic()
            if wait > 0:
                sleep(wait)
        self._last_request = monotonic()

    def _parse(self, raw: bytes, n: int) -> dict[str, np.ndarray]:
        """Check an answer against the contract and learn scores and classes from it."""
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            excerpt = self._masked(raw[:80].decode("utf-8", "replace"))
            raise DataError(
                f"{self._shown} answered with something that is not JSON ({excerpt!r}); "
                "see docs/targets.md for the response format."
            ) from None
        if not isinstance(doc, dict) or "predictions" not in doc:
            raise DataError(
                f"{self._shown} answered without `predictions`; expected "
                '{"predictions": [...]} (see docs/targets.md).'
            )
        out = {"predictions": self._array(doc, "predictions", n, ndim=1)}
        has_scores = doc.get("probabilities") is not None
        if self._scores is None:
            self._scores = has_scores
        elif self._scores and not has_scores:
            raise DataError(
                f"{self._shown} returned no `probabilities`, but the target was declared "
                "with scores; fix the endpoint or declare it without scores."
            )
        if has_scores:
            proba = self._array(doc, "probabilities", n, ndim=2)
            if doc.get("classes") is not None and self._classes is None:
                self._classes = np.asarray(doc["classes"])
            if self._classes is not None and proba.shape[1] != len(self._classes):
                raise DataError(
                    f"{self._shown} returned {proba.shape[1]} probabilities per row for "
                    f"{len(self._classes)} classes; they must match."
                )
            out["probabilities"] = proba
        return out

    def _array(self, doc: dict[str, Any], key: str, n: int, *, ndim: int) -> np.ndarray:
        try:
            values = np.asarray(doc[key], dtype=float if ndim == 2 else None)
        except (TypeError, ValueError):
            values = np.empty(0)
        if values.ndim != ndim or len(values) != n:
            raise DataError(
                f"{self._shown} returned `{key}` that is not a list of {n} "
                f"{'score rows' if ndim == 2 else 'values'}, one per instance sent."
            )
        return values


def _rows(X: Inputs) -> tuple[list[Any], list[str] | None]:
    """Rows as JSON-ready lists, and the column names when ``X`` is a table."""
    if isinstance(X, pd.DataFrame):
        return X.to_numpy(dtype=object).tolist(), [str(c) for c in X.columns]
    return np.asarray(X).tolist(), None


def _payload(rows: list[Any], columns: list[str] | None) -> bytes:
    body: dict[str, Any] = {"instances": rows}
    if columns is not None:
        body["columns"] = columns
    return json.dumps(body, default=_plain, allow_nan=False).encode("utf-8")


def _plain(value: Any) -> Any:
    """JSON for the NumPy and pandas scalars a DataFrame row may hold."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__} value as JSON")
