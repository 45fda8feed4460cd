"""The S3 request being served on each thread, which an S3 event message repeats (request id, host id,
source IP, principal)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    """What an S3 event message repeats from the request that caused it."""

    request_id: str
    host_id: str
    source_ip: str
    principal_id: str


class _Requests(threading.local):
    """The S3 request being served on this thread (the server serves each request on its own thread)."""

    info: RequestInfo | None = None

    @contextmanager
    def current(self, info: RequestInfo) -> Iterator[None]:
        """Make ``info`` the current request while the block runs."""
        self.info = info
        try:
            yield
        finally:
            self.info = None

    def get(self) -> RequestInfo:
        """The current request, or one made up for a write the server makes itself (crawls, job runs)."""
        if self.info is not None:
            return self.info
        return RequestInfo(secrets.token_hex(8).upper(), secrets.token_urlsafe(48), "127.0.0.1", "AWS:local")


#: The current S3 request, per thread.
requests = _Requests()
