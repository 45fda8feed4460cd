"""JSONPath reference paths, payload templates and intrinsic functions of the Amazon States Language.

https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
"""

from __future__ import annotations

import base64
import copy
import json
import re
import uuid
from typing import Any

_STEP = re.compile(r"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


class StatesError(Exception):
    """An ASL error with its name (``States.Runtime``, ``States.TaskFailed``, ``Glue.<Code>`` ...) and cause.

    :param error: the error name.
    :param cause: the cause.
    """

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def _steps(path: str) -> list[str | int]:
    if not path.startswith("$"):
        raise StatesError("States.Runtime", f"The path {path!r} does not start with '$'")
    rest, steps, position = path[1:], [], 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if match is None:
            raise StatesError("States.Runtime", f"The JSONPath {path!r} is not supported by the local Glue")
        name, quoted, index = match.groups()
        steps.append(int(index) if index is not None else (name if name is not None else quoted))
        position = match.end()
    return steps


def read(data: Any, path: str, context: dict[str, Any] | None = None) -> Any:
    """The value at a reference path (``$$.`` reads the context object).

    :raises StatesError: ``States.Runtime`` naming the path when it does not exist.
    """
    if path.startswith("$$"):
        data, path = context or {}, path[1:]
    value = data
    for step in _steps(path):
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            raise StatesError(
                "States.Runtime", f"The JSONPath {path!r} could not be found in the input {json.dumps(data)}"
            ) from None
    return value


def exists(data: Any, path: str) -> bool:
    """Whether the path names a value in ``data``."""
    try:
        read(data, path)
    except StatesError:
        return False
    return True


def write(data: Any, path: str | None, value: Any) -> Any:
    """``data`` with ``value`` placed at a ResultPath (``None`` discards the value; ``$`` replaces all)."""
    if path is None:
        return data
    steps = _steps(path)
    if not steps:
        return value
    result: dict[Any, Any] = copy.deepcopy(data) if isinstance(data, dict) else {}
    node: Any = result
    for step in steps[:-1]:
        if not isinstance(node.get(step), dict):
            node[step] = {}
        node = node[step]
    node[steps[-1]] = value
    return result


def select(data: Any, path: str | None, context: dict[str, Any]) -> Any:
    """InputPath / OutputPath: ``None`` gives ``{}``."""
    return {} if path is None else read(data, path, context)


def render(template: Any, data: Any, context: dict[str, Any]) -> Any:
    """A Parameters / ResultSelector / ItemSelector template filled from ``data`` and the context object."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                out[key[:-2]] = evaluate(value, data, context)
            else:
                out[key] = render(value, data, context)
        return out
    if isinstance(template, list):
        return [render(item, data, context) for item in template]
    return template


def evaluate(expression: str, data: Any, context: dict[str, Any]) -> Any:
    """The value of a ``.$`` field: a path or an intrinsic function call."""
    if expression.startswith("$"):
        return read(data, expression, context)
    value, end = _call(expression, 0, data, context)
    if expression[end:].strip():
        raise StatesError("States.Runtime", f"Unexpected text after {expression[:end]!r}")
    return value


_NAME = re.compile(r"\s*(States\.[A-Za-z0-9]+)\(")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_PATH = re.compile(r"\$\$?[^,)\s]*")


def intrinsic_names(expression: str) -> list[str]:
    """The intrinsic functions an expression calls."""
    return re.findall(r"(States\.[A-Za-z0-9]+)\(", expression)


def _call(text: str, position: int, data: Any, context: dict[str, Any]) -> tuple[Any, int]:
    match = _NAME.match(text, position)
    if match is None:
        raise StatesError("States.Runtime", f"{text!r} is neither a path nor an intrinsic function")
    name, position, args = match.group(1), match.end(), []
    while True:
        while position < len(text) and text[position] in " ,":
            position += 1
        if position >= len(text):
            raise StatesError("States.Runtime", f"Unclosed call to {name} in {text!r}")
        if text[position] == ")":
            position += 1
            break
        value, position = _argument(text, position, data, context)
        args.append(value)
    function = FUNCTIONS.get(name)
    if function is None:
        raise StatesError("States.Runtime", f"The intrinsic function {name} is not run by the local Glue")
    try:
        return function(*args), position
    except StatesError:
        raise
    except Exception as err:
        raise StatesError("States.IntrinsicFailure", f"{name}: {err}") from None


def _argument(text: str, position: int, data: Any, context: dict[str, Any]) -> tuple[Any, int]:
    char = text[position]
    if char == "'":
        out, position = [], position + 1
        while text[position] != "'":
            if text[position] == "\\":
                position += 1
            out.append(text[position])
            position += 1
        return "".join(out), position + 1
    if char == "$":
        match = _PATH.match(text, position)
        assert match is not None
        return read(data, match.group(0), context), match.end()
    if text.startswith("States.", position):
        return _call(text, position, data, context)
    for literal, value in (("null", None), ("true", True), ("false", False)):
        if text.startswith(literal, position):
            return value, position + len(literal)
    number = _NUMBER.match(text, position)
    if number is None:
        raise StatesError("States.Runtime", f"Cannot read the argument at {text[position:]!r}")
    raw = number.group(0)
    return (float(raw) if any(c in raw for c in ".eE") else int(raw)), number.end()


def _format(template: str, *values: Any) -> str:
    parts = re.split(r"(?<!\\)\{\}", template)
    if len(parts) - 1 != len(values):
        raise ValueError(f"{len(parts) - 1} placeholders for {len(values)} arguments")
    out = parts[0]
    for value, part in zip(values, parts[1:], strict=True):
        out += (value if isinstance(value, str) else json.dumps(value)) + part
    return out


def _array_range(first: int, last: int, step: int) -> list[int]:
    return list(range(first, last + (1 if step > 0 else -1), step))


FUNCTIONS: dict[str, Any] = {
    "States.Format": _format,
    "States.StringToJson": json.loads,
    "States.JsonToString": lambda value: json.dumps(value, separators=(",", ":")),
    "States.Array": lambda *values: list(values),
    "States.ArrayLength": len,
    "States.ArrayGetItem": lambda array, index: array[index],
    "States.ArrayContains": lambda array, value: value in array,
    "States.ArrayRange": _array_range,
    "States.ArrayUnique": lambda array: [v for i, v in enumerate(array) if v not in array[:i]],
    "States.ArrayPartition": lambda array, size: [array[i : i + size] for i in range(0, len(array), size)],
    "States.MathAdd": lambda a, b: a + b,
    "States.StringSplit": lambda value, chars: [
        p for p in re.split("[" + re.escape(chars) + "]", value) if p
    ],
    "States.UUID": lambda: str(uuid.uuid4()),
    "States.Base64Encode": lambda value: base64.b64encode(value.encode()).decode(),
    "States.Base64Decode": lambda value: base64.b64decode(value).decode(),
    "States.JsonMerge": lambda a, b, deep=False: {**a, **b},
}
