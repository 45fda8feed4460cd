"""Fakes shared by tests across the package's layers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock


@contextmanager
def patch_sleep(side_effect: Any = None) -> Iterator[mock.Mock]:
    """Replace ``time.sleep`` for the calling thread only and yield the mock that records its calls.

    ``mock.patch("...time.sleep")`` replaces the attribute on the one shared ``time`` module, so a
    local Glue server or Spark thread in the same process would feed the recorded calls (or receive
    the side effect). Those threads keep sleeping for real here.
    """
    real_sleep = time.sleep
    owner = threading.get_ident()
    recorder = mock.Mock(side_effect=side_effect)

    def sleep(seconds: float) -> Any:
        if threading.get_ident() != owner:
            return real_sleep(seconds)
        return recorder(seconds)

    with mock.patch("time.sleep", sleep):
        yield recorder
