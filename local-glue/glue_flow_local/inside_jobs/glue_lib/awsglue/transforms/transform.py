"""The base of every Glue transform (``Transform.apply(...)`` calls a new instance) and the table of the
parameters each takes, as its class in awslabs/aws-glue-libs' awsglue/transforms defines them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .._signatures import bind, signature_of

#: The trailing parameters most of awsglue's transforms share.
THRESHOLDS = "transformation_ctx='', info='', stageThreshold=0, totalThreshold=0"
#: Each transform's parameters, as ``def __call__(self, <parameters>)`` takes them in awsglue.
PARAMETERS = {
    "ApplyMapping": f"frame, mappings, case_sensitive=False, {THRESHOLDS}",
    "ResolveChoice": f"frame, specs=None, choice='', database=None, table_name=None, {THRESHOLDS}, catalog_id=None",
    "DropNullFields": f"frame, {THRESHOLDS}",
    "SelectFields": f"frame, paths, {THRESHOLDS}",
    "DropFields": f"frame, paths, {THRESHOLDS}",
    "RenameField": f"frame, old_name, new_name, {THRESHOLDS}",
    "SplitFields": f"frame, paths, name1=None, name2=None, {THRESHOLDS}",
    "Join": "frame1, frame2, keys1, keys2, transformation_ctx=''",
    "Filter": f"frame, f, {THRESHOLDS}",
    "Map": f"frame, f, preservesPartitioning=False, {THRESHOLDS}",
    "Relationalize": f"frame, staging_path=None, name='roottable', options=None, {THRESHOLDS}",
    "Spigot": "frame, path, options, transformation_ctx=''",
    "SelectFromCollection": "dfc, key, transformation_ctx=''",
    "Repartition": f"frame, num_partitions, {THRESHOLDS}",
    "Coalesce": f"frame, num_partitions, shuffle=False, {THRESHOLDS}",
    "Union": f"frame1, frame2, {THRESHOLDS}",
    "Unbox": f"frame, path, format, {THRESHOLDS}, **options",
    "UnnestFrame": f"frame, {THRESHOLDS}",
    "SplitRows": "frame, comparison_dict, name1='frame1', name2='frame2', transformation_ctx='', info=None, "
    "stageThreshold=0, totalThreshold=0",
    "MapToCollection": "dfc, callable, transformation_ctx=''",
    "FlatMap": "dfc, BaseTransform, frame_name, transformation_ctx='', **base_kwargs",
    "ErrorsAsDynamicFrame": "frame",
}

Run = Callable[[dict[str, Any]], Any]


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


def glue_transform(name: str, run: Run) -> type[GlueTransform]:
    """The GlueTransform class ``name``: its ``__call__`` takes exactly awsglue's parameters
    (:data:`PARAMETERS`) and runs ``run`` on the arguments by parameter name (``**kwargs`` as a dict).

    A call with arguments awsglue's own transform does not take raises the TypeError it would.
    """
    signature = signature_of(PARAMETERS[name])

    def call(self: GlueTransform, *args: Any, **kwargs: Any) -> Any:
        return run(bind(f"{name}.__call__", signature, args, kwargs))

    call.__signature__ = signature_of(f"self, {PARAMETERS[name]}")  # type: ignore[attr-defined]
    call.__qualname__ = f"{name}.__call__"
    doc = f"awsglue's {name}: {run.__doc__ or ''}".strip()
    # The caller's module, so that the class pickles and reprs as the module that defines it.
    module = sys._getframe(1).f_globals.get("__name__", __name__)
    return type(name, (GlueTransform,), {"__call__": call, "__doc__": doc, "__module__": module})


def delegate(method: str, *names: str, on: str = "frame") -> Run:
    """A transform's ``run`` that calls the method of the same meaning on its frame (or collection):
    ``<on>.<method>(<names>..., transformation_ctx)``."""

    def run(a: dict[str, Any]) -> Any:
        return getattr(a[on], method)(*(a[n] for n in names), a["transformation_ctx"])

    run.__doc__ = f"calls ``{on}.{method}``."
    return run
