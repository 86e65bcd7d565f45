"""``failmodes serve``: the risk register as a small web app for a workshop or a team.

Server-rendered pages (Starlette, Jinja2 with autoescaping, served by uvicorn) with a little
JavaScript that only enhances them: systems and their risk at a glance, a profile editor that
validates as you type, the walk-through of a workshop, evidence with its plots, the history,
and the exports. Everything the pages need ships in the package; nothing loads from another
site. Needs the ``web`` extra (``pip install 'failmodes[web]'``).

::

    from failmodes.web import create_app, serve
    serve("failmodes-register.sqlite")          # http://127.0.0.1:8000
"""

from failmodes.web.server import DEFAULT_HOST, DEFAULT_PORT, create_admin, create_app, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_admin", "create_app", "serve"]
