"""ErrorLine: which stderr line a failed local job run reports as its ErrorMessage."""

from __future__ import annotations

import pytest

from glue_flow_local.glue.jobs.process import ErrorLine

TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/tmp/job.py", line 3, in <module>',
    '    raise ValueError("bad row 7")',
    "ValueError: bad row 7",
]


def message(lines: list[str]) -> str | None:
    error_line = ErrorLine()
    for line in lines:
        error_line.feed(line)
    return error_line.message


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param([], None, id="nothing"),
        pytest.param(["", "   "], None, id="only-blank"),
        pytest.param(["warning: x", "fatal: y", ""], "fatal: y", id="no-traceback-last-line"),
        pytest.param(TRACEBACK, "ValueError: bad row 7", id="traceback"),
        pytest.param([*TRACEBACK, "", "some cleanup output"], "ValueError: bad row 7", id="text-after"),
        pytest.param(
            [
                *TRACEBACK,
                "Exception ignored in: <function Closer.__del__ at 0x7f>",
                "Traceback (most recent call last):",
                '  File "/tmp/job.py", line 9, in __del__',
                "RuntimeError: noise at exit",
            ],
            "ValueError: bad row 7",
            id="ignored-finalizer-traceback",
        ),
        pytest.param(
            [
                "Traceback (most recent call last):",
                '  File "/tmp/job.py", line 3, in <module>',
                "KeyError: 'uuid'",
                "",
                "During handling of the above exception, another exception occurred:",
                "",
                *TRACEBACK,
            ],
            "ValueError: bad row 7",
            id="chained-last-wins",
        ),
        pytest.param(
            ["Exception ignored in: <function f>", "BrokenPipeError: [Errno 32]", *TRACEBACK],
            "ValueError: bad row 7",
            id="ignored-without-frames-then-traceback",
        ),
        pytest.param(
            ["Exception ignored in: <function f>", "Traceback (most recent call last):", "  x", "E: e"],
            "E: e",
            id="only-ignored-falls-back-to-last-line",
        ),
    ],
)
def test_error_message(lines: list[str], expected: str | None) -> None:
    assert message(lines) == expected
