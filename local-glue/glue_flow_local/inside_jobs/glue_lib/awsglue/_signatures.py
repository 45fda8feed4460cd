"""awsglue's parameter lists, written once: a callable here takes exactly the parameters its awsglue
counterpart takes, so a script passing a keyword awsglue does not take fails with the same TypeError."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def signature_of(parameters: str) -> inspect.Signature:
    """The signature of ``def f(<parameters>)``: positional parameters with literal defaults, ``**kwargs``."""
    args = ast.parse(f"def f({parameters}): pass").body[0].args  # type: ignore[attr-defined]
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    defaults = [inspect.Parameter.empty] * (len(args.args) - len(args.defaults)) + [
        ast.literal_eval(default) for default in args.defaults
    ]
    out = [inspect.Parameter(a.arg, kind, default=d) for a, d in zip(args.args, defaults, strict=True)]
    if args.kwarg:
        out.append(inspect.Parameter(args.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(out)


def bind(
    name: str, signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Every argument of a call of ``name`` by parameter name, defaults filled in (``**kwargs`` as a dict).

    :raises TypeError: the arguments do not fit ``signature``, as Python's own call would say it (an
        unexpected keyword first, as Python checks it before missing arguments).
    """
    parameters = signature.parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        for keyword in kwargs:
            if keyword not in parameters:
                raise TypeError(f"{name}() got an unexpected keyword argument '{keyword}'")
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as err:
        raise TypeError(f"{name}() {err}") from None
    bound.apply_defaults()
    return dict(bound.arguments)


def same_parameters(original: Callable[..., Any]) -> Callable[[F], F]:
    """Decorator: the decorated function shows ``original``'s parameters (it passes its arguments on)."""

    def decorate(function: F) -> F:
        function.__signature__ = inspect.signature(original)  # type: ignore[attr-defined]
        return function

    return decorate
