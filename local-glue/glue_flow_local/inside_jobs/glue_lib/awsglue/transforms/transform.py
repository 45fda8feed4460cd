"""The base of every Glue transform: ``Transform.apply(...)`` calls a new instance."""

from __future__ import annotations

from typing import Any


class GlueTransform:
    """Base class of Glue transforms; subclasses define ``__call__``."""

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls()(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{self.name()} does not define __call__")

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def __repr__(self) -> str:
        return f"<Transform: {self.name()}>"
