"""aiobotocore clients shared by every deferred wait in a triggerer process.

A client costs credential resolution, endpoint resolution and service-model loading to build, and about
2 MB to keep. A triggerer watching thousands of Glue runs needs one client per distinct set of settings,
not one per wait or per poll. :data:`CLIENTS` keys clients on everything that makes two clients differ
(event loop, service, connection id, region, endpoint, SSL verification, botocore config), builds each
once, hands it to every wait that asks, and closes it when the last of those waits is done.

Credentials stay fresh: the amazon provider builds a session with aiobotocore's refreshable credentials
for assumed roles and web identity, and a shared client refreshes them before they expire exactly as a
client of its own would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook
from asgiref.sync import sync_to_async

ClientKey = tuple[int, str, str | None, str | None, str | None, str, str]


@dataclass
class _Shared:
    """One client, the context manager that closes it, and how many waits use it now."""

    opened: Any = None
    client: Any = None
    users: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None


def _settings_of(
    hook: AwsGenericHook, botocore_config: dict[str, Any] | None
) -> tuple[str, str | None, str | None, str | None, str, str]:
    """The client-shaping settings of ``hook``; reads the Airflow connection, so call it off the loop."""
    service = str(hook.client_type)
    return (
        service,
        hook.aws_conn_id,
        hook.region_name,
        hook.conn_config.get_service_endpoint_url(service_name=service),
        repr(hook.verify),
        json.dumps(botocore_config or {}, sort_keys=True, default=str),
    )


class AsyncClientPool:
    """Shared aiobotocore clients, reference-counted per :data:`ClientKey`."""

    def __init__(self) -> None:
        self._shared: dict[ClientKey, _Shared] = {}
        self.created = 0  # clients built so far, for tests and the benchmark

    def __len__(self) -> int:
        return len(self._shared)

    @asynccontextmanager
    async def client(
        self, hook: AwsGenericHook, botocore_config: dict[str, Any] | None = None
    ) -> AsyncIterator[Any]:
        """Use the shared client for ``hook``'s settings for the duration of the ``async with`` block.

        The first user builds the client (the connection lookup and client creation run in a thread, so
        the event loop never waits on them); later users get the same client; the last one to leave
        closes it.

        :param hook: an amazon-provider AWS hook with a ``client_type``; its connection, region, endpoint,
            verify and service select the client.
        :param botocore_config: the botocore config the hook was built with (part of the key).
        """
        key: ClientKey = (
            id(asyncio.get_running_loop()),
            *await sync_to_async(_settings_of)(hook, botocore_config),
        )
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = _Shared()
            shared.users += 1
            try:
                shared.opened = await hook.get_async_conn()
                shared.client = await shared.opened.__aenter__()
            except BaseException as err:  # the waits queued for this client see the same failure
                shared.error = err
                del self._shared[key]
                raise
            finally:
                shared.ready.set()
            self.created += 1
        else:
            shared.users += 1
            await shared.ready.wait()
            if isinstance(shared.error, asyncio.CancelledError):
                # The wait that was building it was cancelled, not this one: build it afresh.
                shared.users -= 1
                async with self.client(hook, botocore_config) as client:
                    yield client
                return
            if shared.error is not None:
                shared.users -= 1
                raise shared.error
        try:
            yield shared.client
        finally:
            shared.users -= 1
            if shared.users == 0 and self._shared.get(key) is shared:
                del self._shared[key]
                await shared.opened.__aexit__(None, None, None)


#: The process-wide pool every trigger of the package takes its clients from.
CLIENTS = AsyncClientPool()
