"""``getResolvedOptions``: a job's arguments, resolved the way AWS Glue's library resolves them.

API and behaviour follow AWS Glue's ``awsglue.utils`` (https://github.com/awslabs/aws-glue-libs,
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-get-resolved-options.html):

- ``args`` is ``sys.argv``; ``args[0]`` (the script) is skipped.
- Each name in ``options`` is a required ``--name value`` (or ``--name=value``) argument; a missing one
  raises :class:`GlueArgumentError` with argparse's message
  (``the following arguments are required: --NAME``), so the script ends with a traceback and a
  non-zero exit, and the run FAILED with that line as its ErrorMessage.
- Arguments that were not asked for are ignored and not returned, except Glue's reserved ones, which are
  always in the result (``None`` when not passed): ``job_bookmark_option`` (default
  ``job-bookmark-disable``), ``JOB_ID``, ``JOB_RUN_ID``, ``SECURITY_CONFIGURATION``, ``encryption_type``,
  ``enable_data_lineage``, ``TempDir`` / ``RedshiftTempDir``, ``job_bookmark_from`` / ``job_bookmark_to``.
- Asking for a reserved name raises ``RuntimeError("Using reserved arguments ...")``.

Kept compatible with Python 3.6+, the oldest Python a Glue job may declare (so its type hints are
comments).
"""

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Used by the type comments; Dict since Python 3.6 has no dict[...].
    from typing import Any, Dict, NoReturn, Sequence  # noqa: F401, UP035

_BOOKMARK_OPTION = "--job-bookmark-option"
_BOOKMARK_VALUES = ("job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable")
_CONTINUATION_OPTION = "--continuation-option"
# Older spelling of the bookmark option; each value maps to the bookmark value at the same position.
_CONTINUATION_VALUES = ("continuation-enabled", "continuation-readonly", "continuation-ignore")
_BOOKMARK_RANGE = ("--job-bookmark-from", "--job-bookmark-to")
_ID_OPTIONS = ("--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION")
_ENCRYPTION_OPTION = "--encryption-type"
_LINEAGE_OPTION = "--enable-data-lineage"

_global_args = {}  # type: Dict[str, Any]


class GlueArgumentError(Exception):
    """A job argument is missing or invalid (argparse's message)."""


class GlueArgumentParser(argparse.ArgumentParser):
    """An argument parser that raises :class:`GlueArgumentError` instead of exiting."""

    def error(self, message):  # type: (str) -> NoReturn
        raise GlueArgumentError(message)


def _reserved(name):  # type: (str) -> RuntimeError
    return RuntimeError("Using reserved arguments " + name)


def getResolvedOptions(args, options, allow_abbrev=False):  # noqa: N802 - AWS Glue's public name
    # type: (Sequence[str], Sequence[str], bool) -> Dict[str, Any]
    """Resolve the job arguments named in ``options`` from ``args`` (``sys.argv``).

    :param args: ``sys.argv``.
    :param options: names of the required arguments, without ``--``.
    :param allow_abbrev: accept unambiguous prefixes of long options (argparse's ``allow_abbrev``).
    :returns: a dict of the requested arguments plus Glue's reserved ones.
    :raises GlueArgumentError: an argument is missing or has an invalid value.
    :raises RuntimeError: ``options`` names a reserved argument, or the bookmark range is inconsistent.
    """
    parser = GlueArgumentParser(allow_abbrev=allow_abbrev)
    for option in (_CONTINUATION_OPTION, _BOOKMARK_OPTION):
        if option[2:] in options:
            raise _reserved(option[2:])
    parser.add_argument(_BOOKMARK_OPTION, choices=_BOOKMARK_VALUES, required=False)
    parser.add_argument(_CONTINUATION_OPTION, choices=_CONTINUATION_VALUES, required=False)
    for option in _BOOKMARK_RANGE:
        if option[2:] in options:
            raise _reserved(option)
        parser.add_argument(option, required=False)
    for option in _ID_OPTIONS:
        # Glue's library compares these with their dashes, so a plain "JOB_RUN_ID" in ``options`` is not
        # refused here; adding it again below makes argparse report the conflict, as on Glue.
        if option in options:
            raise _reserved(option)
        parser.add_argument(option, required=False)
    for option in (_ENCRYPTION_OPTION, _LINEAGE_OPTION):
        if option in options:
            raise _reserved(option)
    parser.add_argument(_ENCRYPTION_OPTION, choices=("sse-s3",))
    parser.add_argument(_LINEAGE_OPTION, required=False)
    # TempDir is optional even when asked for: Glue sets it for most jobs, but not all.
    options = [name for name in options if name not in ("RedshiftTempDir", "TempDir")]
    parser.add_argument("--RedshiftTempDir", required=False)
    parser.add_argument("--TempDir", required=False)
    for name in options:
        parser.add_argument("--" + name, required=True)

    parsed, _unknown = parser.parse_known_args(args[1:])
    resolved = vars(parsed)
    if resolved.get("TempDir") is not None:
        resolved["RedshiftTempDir"] = resolved["TempDir"]
    elif resolved.get("RedshiftTempDir") is not None:
        resolved["TempDir"] = resolved["RedshiftTempDir"]

    continuation = resolved.pop("continuation_option", None)
    if resolved.get("job_bookmark_option") is None:
        if continuation is None:
            resolved["job_bookmark_option"] = "job-bookmark-disable"
        else:
            resolved["job_bookmark_option"] = _BOOKMARK_VALUES[_CONTINUATION_VALUES.index(continuation)]
    absent = [option for option in _BOOKMARK_RANGE if resolved.get(option[2:].replace("-", "_")) is None]
    if resolved["job_bookmark_option"] == "job-bookmark-pause":
        if len(absent) == 1:
            raise RuntimeError("Missing option or value for " + absent[0])
    elif not absent:
        raise RuntimeError("Invalid option(s)" + " ".join(_BOOKMARK_RANGE))
    _global_args.update(resolved)
    return resolved
