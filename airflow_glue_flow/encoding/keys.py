"""The key scheme: prefixes name folders, and a key already holding other bytes gets a versioned name."""

from __future__ import annotations

PREFIX_NAMES = ("source_prefix", "target_prefix", "archive_prefix")


class ParameterProblem(ValueError):
    """A conversion parameter is unusable: which one, its value, and why."""

    def __init__(self, name: str, value: str, problem: str) -> None:
        self.name = name
        self.value = value
        self.problem = problem
        super().__init__(f"{name} {value!r} {problem}")


def check_prefixes(source_prefix: str, target_prefix: str, archive_prefix: str) -> None:
    """Refuse prefixes that are not folders, or that overlap, before any S3 call.

    Each prefix must end with ``/``: ``in0`` would also match the keys of ``in0_old/`` and ``in01/``
    and map ``in0/a.csv`` to ``utf8//a.csv``.

    :raises ParameterProblem: naming the parameter and the problem.
    """
    if not source_prefix:
        raise ParameterProblem(
            "source_prefix", source_prefix, "must not be empty: it would convert every object in the bucket"
        )
    # (no zip(strict=True): the package also runs in Glue's Python 3.9)
    for name, value in zip(PREFIX_NAMES, (source_prefix, target_prefix, archive_prefix)):  # noqa: B905
        if not value.endswith("/"):
            raise ParameterProblem(
                name,
                value,
                "must end with '/': prefixes name folders, and without the slash it would also match "
                f"keys such as {value + '_old/'!r} and {value + '1/'!r}",
            )
    for name, other in (("target_prefix", target_prefix), ("archive_prefix", archive_prefix)):
        if other.startswith(source_prefix) or source_prefix.startswith(other):
            raise ParameterProblem(
                name, other, f"overlaps source_prefix {source_prefix!r}: a rerun would convert its own output"
            )
    if target_prefix == archive_prefix:
        raise ParameterProblem("archive_prefix", archive_prefix, "is also the target_prefix")


def folder_marker(key: str, size: int, source_prefix: str) -> str:
    """Why the conversion skips this listed object as a folder marker, or ``""`` when it converts it.

    The key equal to the prefix and other zero-byte keys ending in ``/`` (what the S3 console's
    "Create folder" writes) are markers; zero-byte files are converted.
    """
    if key == source_prefix:
        return "folder marker of the source prefix"
    if key.endswith("/") and size == 0:
        return "zero-byte folder marker"
    return ""


def versioned_key(key: str, source_etag: str) -> str:
    """The key for a new version whose plain key already holds other bytes: the source ETag goes in.

    It goes before the first dot of the file name, so the extension stays last for readers and
    crawlers: ``in/a.csv`` -> ``in/a.<etag>.csv``, ``in/b`` -> ``in/b.<etag>``.
    """
    folder, _, name = key.rpartition("/")
    dot = name.find(".", 1)  # a leading dot (".env") is part of the name
    tag = source_etag.strip('"')
    name = f"{name}.{tag}" if dot < 0 else f"{name[:dot]}.{tag}{name[dot:]}"
    return f"{folder}/{name}" if folder else name
