"""The guideline as one self-contained HTML page, readable on screen and on paper.

The same sections as the Markdown (:func:`failmodes.report.guideline.guideline_sections`),
rendered by Jinja2 with autoescaping on, the report's stylesheet inline, and a print
stylesheet: A4 pages, each failure mode on a page of its own, tables and rules never split
across pages, the contents list left out. No script, no fetch, no date: the same catalog gives
the same bytes.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment

from failmodes.catalog.model import Catalog
from failmodes.report.guideline import SUBHEADINGS, Table, guideline_sections, title_of
from failmodes.report.rule_text import Statement
from failmodes.report.templating import template_environment


@cache
def _environment() -> Environment:
    env = template_environment()
    env.tests["table"] = lambda value: isinstance(value, Table)
    env.tests["statement"] = lambda value: isinstance(value, Statement)
    env.tests["list"] = lambda value: isinstance(value, list)
    env.globals["subheadings"] = SUBHEADINGS
    return env


def render_guideline_html(catalog: Catalog) -> str:
    """The guideline as HTML (``failmodes guideline -f html``)."""
    template = _environment().get_template("guideline.html.j2")
    return template.render(title=title_of(catalog), sections=guideline_sections(catalog))
