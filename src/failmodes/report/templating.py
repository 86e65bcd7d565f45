"""How every page failmodes renders loads its templates: escaped by default, so text from a
profile, a finding or a comment can never become markup, and strict about undefined names,
so a template typo fails in the tests instead of rendering an empty cell."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined


def template_environment(package: str = "failmodes.report") -> Environment:
    """A fresh Jinja2 environment over ``package``'s ``templates`` folder."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
