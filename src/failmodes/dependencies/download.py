"""Fetching OSV's export of PyPI advisories, for audits that run offline afterwards."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from failmodes.errors import InputError

#: OSV's daily export of every PyPI advisory as JSON files in one zip.
OSV_PYPI_EXPORT = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
MAX_DOWNLOAD = 1024 * 1024 * 1024


def default_database() -> Path:
    """Where ``advisories update`` saves the export unless told otherwise."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "failmodes" / "osv-pypi.zip"


def download_advisories(
    destination: Path, *, url: str = OSV_PYPI_EXPORT, timeout: float = 60.0
) -> Path:
    """Download the export to ``destination`` (atomically) and check that it is a zip."""
    if not url.startswith("https://"):
        raise InputError(f"{url}: advisories are fetched over https only.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 - https only, checked above
            copied = 0
            while chunk := reply.read(1 << 20):
                copied += len(chunk)
                if copied > MAX_DOWNLOAD:
                    raise InputError(f"{url}: the download passed {MAX_DOWNLOAD:,} bytes.")
                out.write(chunk)
        if not zipfile.is_zipfile(tmp):
            raise InputError(f"{url}: the download is not a zip archive.")
        shutil.move(tmp, destination)
    except OSError as exc:
        raise InputError(f"{url}: cannot download the advisories: {exc}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return destination
