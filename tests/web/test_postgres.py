"""The web app over a real PostgreSQL server: the HTTP tests that write, run again there.

``.ci/run`` starts Debian's PostgreSQL on loopback and sets ``FAILMODES_TEST_POSTGRES``; the
server here gets a schema of its own, dropped afterwards. Without the variable these skip and
say how to run them. The tests are those of ``test_http``, collected here a second time so
that they use this module's ``server``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.store.conftest import _postgres_schema
from tests.web.conftest import Server, serve_filled, stop_server
from tests.web.test_http import (  # noqa: F401 - collected again, over PostgreSQL
    test_a_request_without_the_right_csrf_token_is_refused,
    test_a_viewer_cannot_change_anything,
    test_a_workshop_over_http_gives_the_register_the_terminal_gives,
    test_sql_in_a_system_name_and_script_in_a_comment_are_inert,
    test_two_editors_on_one_mode_lose_neither_decision,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    schema = _postgres_schema()
    url = next(schema)
    running = serve_filled(url, tmp_path_factory.mktemp("web-postgres"))
    try:
        yield running
    finally:
        stop_server(running)
        next(schema, None)
