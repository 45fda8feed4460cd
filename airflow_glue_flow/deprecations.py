"""Old import paths of public names that moved or were renamed.

Each old module is a few lines that build a :class:`Moved`: importing it warns once with a
``DeprecationWarning`` naming the new place, and every name is looked up there (a renamed one under its
new name, with a warning of its own). The old paths go in the next minor release (see CHANGELOG.md).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any

#: The release in which the old paths go.
REMOVED_IN = "0.3.0"


class Moved:
    """The names of the deprecated module ``old``, found in the ``new`` modules (the first that has each).

    :param old: the deprecated module's name (its ``__name__``).
    :param new: the modules that now hold its names, in look-up order.
    :param renamed: old name -> new name, for names that changed too.
    """

    def __init__(self, old: str, new: tuple[str, ...], renamed: Mapping[str, str] | None = None) -> None:
        self.old, self.new, self.renamed = old, new, dict(renamed or {})
        warnings.warn(
            f"{old} is deprecated and goes in {REMOVED_IN}: import from {' or '.join(new)}",
            DeprecationWarning,
            stacklevel=3,
        )

    def attribute(self, name: str) -> Any:
        """The object ``name`` names in the new modules (a module's ``__getattr__``).

        :raises AttributeError: no new module has it.
        """
        new_name = self.renamed.get(name, name)
        for module_name in self.new:
            module = importlib.import_module(module_name)
            if hasattr(module, new_name):
                if new_name != name:
                    warnings.warn(
                        f"{self.old}.{name} is deprecated and goes in {REMOVED_IN}: "
                        f"use {module_name}.{new_name}",
                        DeprecationWarning,
                        stacklevel=3,
                    )
                return getattr(module, new_name)
        raise AttributeError(f"module {self.old!r} has no attribute {name!r}")
