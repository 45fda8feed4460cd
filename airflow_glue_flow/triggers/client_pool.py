"""aiobotocore clients shared by every deferred wait in a triggerer process.

A client costs credential resolution, endpoint resolution and service-model loading to build (tens to
hundreds of milliseconds of CPU and file reads), and about 2 MB to keep. A triggerer watching thousands
of Glue runs needs one client per distinct set of settings, not one per wait or per poll.
:data:`CLIENTS` keys clients on everything that makes two clients differ (event loop, service,
connection id, region, endpoint, SSL verification, botocore config), builds each once, hands it to every
wait that asks, and closes it when the last of those waits is done.

Nothing here blocks the triggerer's event loop: the connection lookup, the session and the client are
built (by the hook's own ``get_async_conn``) in a worker thread, on a private event loop there; the
client's HTTP connections are made, and closed, on the triggerer's loop. Credentials stay fresh: the amazon provider gives assumed-role and web-identity
sessions aiobotocore's refreshable credentials, which a shared client refreshes before they expire just
as a client of its own would; their refresh functions are synchronous STS calls, so they are moved to a
worker thread too.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from dataclasses import dataclass
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook
from asgiref.sync import sync_to_async
from botocore.credentials import RefreshableCredentials

from airflow_glue_flow.triggers.gc_freeze import frozen_after

#: (event loop, service, connection id, region, endpoint URL, verify, botocore config as JSON)
ClientKey = tuple[asyncio.AbstractEventLoop, str, str | None, str | None, str | None, str, str]


@dataclass(eq=False)
class _Entry:
    """One shared client: its key, the task that opens it and how many waits use it now."""

    key: ClientKey
    opening: asyncio.Task[Any]
    users: int = 0


def _settings(hook: AwsGenericHook[Any], botocore_config: dict[str, Any] | None) -> tuple[Any, ...]:
    """The client-shaping settings of ``hook``; reads the Airflow connection, so it runs off the loop."""
    service = str(hook.client_type)
    return (
        service,
        hook.aws_conn_id,
        hook.region_name,
        hook.conn_config.get_service_endpoint_url(service_name=service),
        repr(hook.verify),
        json.dumps(botocore_config or {}, sort_keys=True, default=str),
    )


def _off_loop(refresh: Any) -> Any:
    """Run a synchronous credential refresher (an STS call) in a worker thread when it is due."""

    @functools.wraps(refresh)
    async def refresh_in_thread() -> Any:
        return await asyncio.to_thread(refresh)

    return refresh_in_thread


async def _create(hook: AwsGenericHook[Any]) -> tuple[Any, Any]:
    """Build and enter the hook's aiobotocore client on the worker thread's private event loop.

    Entering an aiobotocore client creates nothing bound to a loop (its aiohttp session is made on the
    first request), so the client is then used, and closed, on the triggerer's loop.
    """
    opener = await hook.get_async_conn()
    client = await opener.__aenter__()
    # The amazon provider's refreshers (assume role, web identity) are synchronous STS calls, which
    # aiobotocore would run on the event loop when the credentials near expiry.
    credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    refresh = getattr(credentials, "_refresh_using", None)
    if (
        isinstance(credentials, RefreshableCredentials)
        and refresh
        and not inspect.iscoroutinefunction(refresh)
    ):
        credentials._refresh_using = _off_loop(refresh)
    return opener, client


def _build(hook: AwsGenericHook[Any]) -> tuple[Any, Any]:
    """Thread body: the session and the client, built where the triggerer's loop cannot feel them.

    botocore's endpoint and service models, loaded by a first build, are tens of thousands of objects:
    :func:`~airflow_glue_flow.triggers.gc_freeze.frozen_after` keeps them from setting off a full garbage
    collection, which would hold the GIL (and so the loop) for as long as it walks the process's heap.
    """
    with frozen_after():
        return asyncio.run(_create(hook))


class AsyncClientPool:
    """Shared aiobotocore clients, reference-counted per :data:`ClientKey`."""

    def __init__(self) -> None:
        self._entries: dict[ClientKey, _Entry] = {}
        #: clients built so far (for tests and the benchmark)
        self.created = 0

    def __len__(self) -> int:
        """Clients open or being opened now."""
        return len(self._entries)

    def users(self) -> int:
        """Waits holding (or waiting for) a client now."""
        return sum(entry.users for entry in self._entries.values())

    def client(self, hook: AwsGenericHook[Any], botocore_config: dict[str, Any] | None = None) -> ClientLease:
        """The shared client for ``hook``'s settings, for the duration of an ``async with`` block.

        The first user starts building the client in a task of its own, so that cancelling that user
        leaves the build to the others; every user waiting for it gets the client, or the build's error.
        A failed build is forgotten, so the next wait tries again. The last user to leave closes it.

        :param hook: an amazon-provider AWS hook with a ``client_type``; its connection, region, endpoint,
            verify and service select the client. It is not kept once the client is there.
        :param botocore_config: the botocore config (as a dict) the hook was built with (part of the key).
        """
        return ClientLease(self, hook, botocore_config)

    async def _enter(self, hook: AwsGenericHook[Any], botocore_config: dict[str, Any] | None) -> _Entry:
        """Count one more user of the client for ``hook``'s settings, starting its build if it is new."""
        loop = asyncio.get_running_loop()
        key: ClientKey = (loop, *await sync_to_async(_settings)(hook, botocore_config))
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(key, loop.create_task(self._open(hook)))
            entry.opening.add_done_callback(functools.partial(self._opened, entry))
        entry.users += 1
        return entry

    async def _leave(self, entry: _Entry) -> None:
        """One user fewer; the last one closes the client."""
        entry.users -= 1
        if entry.users == 0:
            await self._release(entry)

    async def _open(self, hook: AwsGenericHook[Any]) -> Any:
        # Not thread-sensitive: a slow build (an STS call) must not hold up the connection lookups of
        # other waits, which run on asgiref's one shared thread.
        opened = await sync_to_async(_build, thread_sensitive=False)(hook)
        self.created += 1
        return opened

    def _opened(self, entry: _Entry, task: asyncio.Task[Any]) -> None:
        """Forget a build that failed or was cancelled (its waiters already got the error)."""
        if task.cancelled() or task.exception() is not None:
            self._forget(entry)

    def _forget(self, entry: _Entry) -> None:
        if self._entries.get(entry.key) is entry:
            del self._entries[entry.key]

    async def _release(self, entry: _Entry) -> None:
        """The last user left: forget the client and close it (once it is built, if it is still building)."""
        self._forget(entry)
        closing = asyncio.get_running_loop().create_task(_close_when_open(entry.opening))
        # Shielded: a user cancelled while leaving must not leave the client half closed.
        await asyncio.shield(closing)


class ClientLease:
    """One wait's use of a shared client (:meth:`AsyncClientPool.client`): ``async with lease as client``.

    A class with slots, not an ``@asynccontextmanager``: a wait holds its lease for as long as the Glue
    run goes on, and a generator-based one would keep its generator, frame and bound methods alive all
    that time, objects that every full garbage collection of the triggerer walks (with the GIL held).
    """

    __slots__ = ("_pool", "_hook", "_config", "_entry")

    def __init__(
        self, pool: AsyncClientPool, hook: AwsGenericHook[Any], botocore_config: dict[str, Any] | None
    ) -> None:
        self._pool = pool
        self._hook: AwsGenericHook[Any] | None = hook
        self._config = botocore_config
        self._entry: _Entry | None = None

    async def __aenter__(self) -> Any:
        if self._hook is None:
            raise RuntimeError("a client lease is entered once")
        hook, self._hook = self._hook, None  # only the build needs it, and that holds its own reference
        entry = self._entry = await self._pool._enter(hook, self._config)
        try:
            _, client = await asyncio.shield(entry.opening)
        except BaseException:
            await self._exit()
            raise
        return client

    async def __aexit__(self, *exc_info: object) -> None:
        await self._exit()

    async def _exit(self) -> None:
        entry, self._entry = self._entry, None
        if entry is not None:
            await self._pool._leave(entry)


async def _close_when_open(opening: asyncio.Task[Any]) -> None:
    try:
        opener, _ = await opening
    except BaseException:  # nothing was opened; the users saw the error
        return
    await opener.__aexit__(None, None, None)


#: The process-wide pool every trigger of the package takes its clients from.
CLIENTS = AsyncClientPool()
