"""The ``failmodes`` command line: a thin shell over the library API, with no logic of its own.

Exit codes (see :mod:`failmodes.errors`): 0 success, 1 a policy gate failed, 2 bad input
(profile, catalog, overlay, data, arguments), 3 an unexpected internal error.
"""

from __future__ import annotations

import os
import sys

import typer

from failmodes.cli import catalog as catalog_cmd
from failmodes.cli import guideline as guideline_cmd
from failmodes.cli import monitor as monitor_cmd
from failmodes.cli import profile as profile_cmd
from failmodes.cli import register as register_cmd
from failmodes.cli import report as report_cmd
from failmodes.cli import scan as scan_cmd
from failmodes.cli import serve as serve_cmd
from failmodes.cli import supply_chain as supply_chain_cmd
from failmodes.cli import threat_model as threat_model_cmd
from failmodes.cli import workshop as workshop_cmd
from failmodes.cli.common import err_console
from failmodes.errors import (
    EXIT_INPUT_ERROR,
    EXIT_INTERNAL_ERROR,
    FailmodesError,
    InputError,
    MissingFileError,
)

app = typer.Typer(
    name="failmodes",
    help="Map, threat-model, test and report ML systems against Microsoft's Failure Modes in "
    "Machine Learning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
)

catalog_cmd.register(app)
profile_cmd.register(app)
threat_model_cmd.register(app)
scan_cmd.register(app)
report_cmd.register(app)
supply_chain_cmd.register(app)
register_cmd.register(app)
workshop_cmd.register(app)
guideline_cmd.register(app)
monitor_cmd.register(app)
serve_cmd.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of raising ``SystemExit``."""
    try:
        result = app(args=argv, standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        err_console.print("Aborted.")
        return EXIT_INPUT_ERROR
    except typer.TyperException as exc:  # usage errors: unknown option, bad value …
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err_console.print(f"error: {exc.format_message()}", markup=False)
        return exc.exit_code
    except (InputError, MissingFileError) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_INPUT_ERROR
    except FailmodesError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return EXIT_INTERNAL_ERROR
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        return 130
    except Exception as exc:
        err_console.print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in failmodes; set FAILMODES_DEBUG=1 for the traceback and report it.",
            markup=False,
            highlight=False,
        )
        if _debug():
            raise
        return EXIT_INTERNAL_ERROR
    # Without standalone mode, a command's `typer.Exit(code)` comes back as its return value.
    return result if isinstance(result, int) else 0


def _debug() -> bool:
    return os.environ.get("FAILMODES_DEBUG", "") not in ("", "0")


def entry_point() -> None:
    """Console-script entry: exit with :func:`main`'s code."""
    sys.exit(main())
