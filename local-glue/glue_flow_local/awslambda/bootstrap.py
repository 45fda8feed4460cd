"""Runs inside a Lambda invoke's own process: imports the handler, calls it, writes the answer.

Run as ``python bootstrap.py <handler> <event file> <answer file> <function name> <timeout s>`` with the
function's code folder as the working directory. The answer is the handler's return value, or AWS's error
shape (``errorMessage``, ``errorType``, ``stackTrace``) with ``"__error__": true``.
This file imports only the standard library: it runs on the function's interpreter.
"""

import importlib
import json
import sys
import time
import traceback
import uuid


class Context:
    """The fields of AWS's Python Lambda context object."""

    def __init__(self, name: str, timeout: float) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:123456789012:function:{name}"
        self.memory_limit_in_mb = "128"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = self.aws_request_id
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    handler, event_file, answer_file, name, timeout = sys.argv[1:6]
    sys.path.insert(0, ".")
    with open(event_file) as stream:
        event = json.load(stream)
    module_name, _, function_name = handler.rpartition(".")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        answer = function(event, Context(name, float(timeout)))
        text = json.dumps(answer)
    except Exception as err:
        frames = traceback.format_tb(err.__traceback__)
        kind = type(err).__name__
        if isinstance(err, (ImportError, AttributeError)) and not frames[1:]:
            kind = "Runtime.ImportModuleError"
        print(f"[ERROR] {type(err).__name__}: {err}", file=sys.stderr)
        text = json.dumps(
            {"errorMessage": str(err), "errorType": kind, "stackTrace": frames, "__error__": True}
        )
    with open(answer_file, "w") as stream:
        stream.write(text)


if __name__ == "__main__":
    main()
