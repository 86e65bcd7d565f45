"""The exceptions failmodes raises, in one tree.

Every error a user can cause derives from :class:`FailmodesError` and also from the builtin
that a caller would expect (``ValueError`` for bad input, ``FileNotFoundError`` for a missing
file, ``KeyError`` for an unknown id), so ``except ValueError`` keeps working for people who do
not know our types. The command line prints these in one or two lines and exits with
:data:`EXIT_INPUT_ERROR`; anything else is a bug and exits with :data:`EXIT_INTERNAL_ERROR`.

::

    FailmodesError
    ├── InputError (ValueError)              bad input the user can fix
    │   ├── ProfileError                     a system profile that does not validate
    │   ├── CatalogError                     a catalog or overlay file that does not validate
    │   ├── UnknownIdError (KeyError)        a failure mode or probe id that does not exist
    │   ├── DataError                        a data set or target that cannot be used
    │   └── RegisterError                    a risk-register request that cannot be met
    │       └── ConflictError                someone else changed the same record first
    ├── MissingFileError (FileNotFoundError) a path that does not exist
    └── UnsafeArtifactError                  a model file refused because scanning flagged it
"""

from __future__ import annotations

#: The command succeeded and no policy gate failed.
EXIT_OK = 0
#: The command ran, and a policy gate (``--fail-on`` and friends) failed.
EXIT_POLICY_FAILED = 1
#: The input could not be used: a bad profile, catalog, overlay, data file or argument.
EXIT_INPUT_ERROR = 2
#: failmodes itself failed unexpectedly; please report it.
EXIT_INTERNAL_ERROR = 3


class FailmodesError(Exception):
    """Root of every error failmodes raises on purpose."""


class InputError(FailmodesError, ValueError):
    """Input the user can fix: the message says what is wrong and what to do."""


class ProfileError(InputError):
    """A system profile that is not valid YAML or does not match the profile schema."""


class CatalogError(InputError):
    """A catalog or overlay file that is not valid YAML or does not match the catalog schema."""


class UnknownIdError(InputError, KeyError):
    """An id (failure mode, probe, metric) that the loaded catalog or registry does not know."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class DataError(InputError):
    """A data set, column or model target that cannot be used as given."""


class RegisterError(InputError):
    """A risk-register request that cannot be met: an unknown system, a register written by a
    newer failmodes, a database that cannot be reached, an import that would overwrite."""


class ConflictError(RegisterError):
    """Someone else changed the record since it was read: nothing was written, so neither
    change is lost; read it again and decide on the newer state."""


class MissingFileError(FailmodesError, FileNotFoundError):
    """A file or directory that does not exist."""


class UnsafeArtifactError(FailmodesError):
    """A model artifact that the scanner flagged, refused unless the user trusts it explicitly."""
