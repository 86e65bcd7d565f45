"""``python -m failmodes``."""

from failmodes.cli import entry_point

entry_point()
