"""The job's command line: ``--KEY value`` arguments read the way Glue's ``getResolvedOptions`` does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from airflow_glue_flow.encoding.codec import check_codecs
from airflow_glue_flow.encoding.keys import ParameterProblem, check_prefixes
from airflow_glue_flow.encoding.plan import DEFAULT_MAX_WORKERS

REQUIRED_ARGS = ("BUCKET_NAME", "BUCKET_PATH", "BUCKET_PATH_DECODE", "BUCKET_PATH_ORG", "DECODE_LANG")
OPTIONAL_ARGS = {
    "ENCODE_LANG": "utf-8",
    "ERRORS": "strict",
    "MAX_WORKERS": str(DEFAULT_MAX_WORKERS),
    "DELETE_SOURCE": "true",
    "REPLACE_TARGET": "false",
}
#: The job argument behind each parameter of :func:`~airflow_glue_flow.encoding.plan.convert_prefix`.
ARGUMENT_OF = {
    "source_prefix": "BUCKET_PATH",
    "target_prefix": "BUCKET_PATH_DECODE",
    "archive_prefix": "BUCKET_PATH_ORG",
}


class ArgumentError(ValueError):
    """A job argument is missing or unusable."""


def resolve_options(argv: list[str], required: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Read ``--KEY value`` / ``--KEY=value`` arguments the way Glue's ``getResolvedOptions`` does.

    ``argv[0]`` (the script) is skipped, each required key must be present, unknown arguments
    (``--JOB_NAME``, ``--JOB_RUN_ID``, ``--job-bookmark-option``, ``--scriptLocation``, ...) are
    ignored, and the last occurrence of a key wins. Optional keys of :data:`OPTIONAL_ARGS` that
    appear are returned too.

    :param argv: the full ``sys.argv``.
    :param required: keys that must be present.
    :raises ArgumentError: a required key is missing or has no value.
    """
    wanted = set(required) | set(OPTIONAL_ARGS)
    found: dict[str, str] = {}
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("--"):
            continue
        name, sep, value = arg[2:].partition("=")
        if name not in wanted:
            continue
        if not sep:
            if i >= len(args) or (args[i].startswith("--") and args[i] != "--"):
                raise ArgumentError(f"argument --{name} expects a value")
            value = args[i]
            i += 1
        found[name] = value
    missing = [k for k in required if k not in found]
    if missing:
        raise ArgumentError("missing required job argument(s): " + ", ".join(f"--{k}" for k in missing))
    return found


@dataclass(frozen=True)
class JobOptions:
    """The checked job arguments, named as :func:`~airflow_glue_flow.encoding.plan.convert_prefix` names them."""

    bucket: str
    source_prefix: str
    target_prefix: str
    archive_prefix: str
    source_encoding: str
    target_encoding: str
    errors: str
    max_workers: int
    delete_source: bool
    replace_target: bool


def job_options(args: Mapping[str, str]) -> JobOptions:
    """Check the job arguments (as :func:`resolve_options` or ``getResolvedOptions`` return them).

    Optional keys missing from ``args`` take their :data:`OPTIONAL_ARGS` default.

    :raises ValueError: (:class:`ArgumentError` among them) naming the bad argument.
    """
    missing = [k for k in REQUIRED_ARGS if k not in args]
    if missing:
        raise ArgumentError("missing required job argument(s): " + ", ".join(f"--{k}" for k in missing))
    opts = {**OPTIONAL_ARGS, **args}
    try:
        max_workers = int(opts["MAX_WORKERS"])
    except ValueError:
        raise ArgumentError(f"--MAX_WORKERS must be an integer, not {opts['MAX_WORKERS']!r}") from None
    if not opts["BUCKET_NAME"]:
        raise ArgumentError("--BUCKET_NAME must not be empty")
    check_codecs(opts["DECODE_LANG"], opts["ENCODE_LANG"], opts["ERRORS"])
    try:
        check_prefixes(opts["BUCKET_PATH"], opts["BUCKET_PATH_DECODE"], opts["BUCKET_PATH_ORG"])
    except ParameterProblem as exc:
        raise ArgumentError(f"--{ARGUMENT_OF[exc.name]} {exc.value!r} {exc.problem}") from None
    return JobOptions(
        bucket=opts["BUCKET_NAME"],
        source_prefix=opts["BUCKET_PATH"],
        target_prefix=opts["BUCKET_PATH_DECODE"],
        archive_prefix=opts["BUCKET_PATH_ORG"],
        source_encoding=opts["DECODE_LANG"],
        target_encoding=opts["ENCODE_LANG"],
        errors=opts["ERRORS"],
        max_workers=max_workers,
        delete_source=_flag(opts, "DELETE_SOURCE"),
        replace_target=_flag(opts, "REPLACE_TARGET"),
    )


def _flag(opts: Mapping[str, str], name: str) -> bool:
    value = opts[name].strip().lower()
    if value not in ("true", "false"):
        raise ArgumentError(f"--{name} must be true or false, not {opts[name]!r}")
    return value == "true"
