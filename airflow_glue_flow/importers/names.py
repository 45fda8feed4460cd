"""Python identifiers and Airflow task ids for any Glue name (spaces, dashes, ``${...}``, digits first)."""

from __future__ import annotations

import keyword
import re

_UNSAFE = re.compile(r"[^0-9A-Za-z_]+")
#: Short enough that ``    a = GlueConditionalTriggerSensor(`` and ``    a >> b`` fit ruff's 88 columns.
_MAX_LENGTH = 40


class NameAllocator:
    """Hands out unique identifiers: the same name twice gets ``_2``, ``_3``, ... in call order."""

    def __init__(self, reserved: set[str] | None = None) -> None:
        self._used: set[str] = set(reserved or ())

    def allocate(self, name: str, prefix: str = "") -> str:
        """A new identifier (valid Python and a valid task id) for ``name``."""
        base = _UNSAFE.sub("_", prefix + name).strip("_").lower()[: _MAX_LENGTH - 3].rstrip("_") or "task"
        if base[0].isdigit() or keyword.iskeyword(base) or keyword.issoftkeyword(base):
            base = f"t_{base}"[: _MAX_LENGTH - 3]
        candidate, number = base, 1
        while candidate in self._used:
            number += 1
            candidate = f"{base}_{number}"
        self._used.add(candidate)
        return candidate
