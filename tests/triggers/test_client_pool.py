"""The process-wide aiobotocore client pool: sharing, keys, failures, cancellation, credential refresh."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook, BaseSessionFactory
from airflow.providers.amazon.aws.hooks.glue import GlueJobHook
from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook
from botocore.exceptions import UnknownServiceError

from airflow_glue_flow.triggers import client_pool
from airflow_glue_flow.triggers.client_pool import CLIENTS, AsyncClientPool
from glue_flow_local import LocalGlueProcess as LocalGlue
from glue_flow_local.clients import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY

#: Nothing listens here: building and opening a client makes no request.
ENDPOINT = "http://127.0.0.1:9"


@pytest.fixture
def conn(monkeypatch: pytest.MonkeyPatch) -> str:
    """An AWS connection with static keys and an endpoint; returns its id."""
    extra = {"region_name": "eu-west-1", "endpoint_url": ENDPOINT}
    monkeypatch.setenv(
        "AIRFLOW_CONN_POOLED",
        json.dumps({"conn_type": "aws", "login": "AKIDPOOL", "password": "secret", "extra": extra}),
    )
    return "pooled"


def glue_hook(conn_id: str | None, **kwargs: Any) -> GlueJobHook:
    return GlueJobHook(aws_conn_id=conn_id, **kwargs)


def test_concurrent_waits_share_one_client(conn: str) -> None:
    pool = AsyncClientPool()

    async def wait(seen: list[Any], hold: asyncio.Event) -> None:
        async with pool.client(glue_hook(conn)) as client:
            seen.append(client)
            await hold.wait()

    async def main() -> tuple[list[Any], int, int]:
        seen: list[Any] = []
        hold = asyncio.Event()
        waits = [asyncio.create_task(wait(seen, hold)) for _ in range(20)]
        while len(seen) < 20:
            await asyncio.sleep(0.01)
        open_while_used = len(pool)
        hold.set()
        await asyncio.gather(*waits)
        return seen, open_while_used, len(pool)

    seen, open_while_used, open_after = asyncio.run(main())
    assert len({id(c) for c in seen}) == 1
    assert pool.created == 1
    assert (open_while_used, open_after) == (1, 0)


def test_a_later_wait_reuses_the_client_while_another_still_holds_it(conn: str) -> None:
    pool = AsyncClientPool()

    async def main() -> tuple[Any, Any]:
        async with pool.client(glue_hook(conn)) as first:
            async with pool.client(glue_hook(conn)) as second:
                return first, second

    first, second = asyncio.run(main())
    assert first is second and pool.created == 1


@pytest.mark.parametrize(
    ("hook_kwargs", "config"),
    [
        ({"region_name": "us-east-2"}, None),
        ({"verify": False}, None),
        ({}, {"retries": {"mode": "standard", "max_attempts": 7}}),
    ],
    ids=["region", "verify", "botocore_config"],
)
def test_different_settings_get_different_clients(
    conn: str, hook_kwargs: dict[str, Any], config: dict[str, Any] | None
) -> None:
    pool = AsyncClientPool()

    async def main() -> tuple[Any, Any]:
        async with pool.client(glue_hook(conn)) as plain:
            async with pool.client(glue_hook(conn, **hook_kwargs, config=config), config) as other:
                return plain, other

    plain, other = asyncio.run(main())
    assert plain is not other and pool.created == 2


def test_services_connections_and_endpoints_get_their_own_clients(
    conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:10"}
    monkeypatch.setenv("AIRFLOW_CONN_OTHER", json.dumps({"conn_type": "aws", "extra": extra}))
    pool = AsyncClientPool()

    async def main() -> list[Any]:
        hooks = [glue_hook(conn), AwsLogsHook(aws_conn_id=conn), glue_hook("other")]
        async with pool.client(hooks[0]) as glue, pool.client(hooks[1]) as logs:
            async with pool.client(hooks[2]) as elsewhere:
                return [glue, logs, elsewhere]

    glue, logs, elsewhere = asyncio.run(main())
    assert glue.meta.service_model.service_name == "glue"
    assert logs.meta.service_model.service_name == "logs"
    assert glue.meta.endpoint_url == ENDPOINT and elsewhere.meta.endpoint_url == "http://127.0.0.1:10"
    assert pool.created == 3


def test_a_failed_build_reaches_every_waiter_and_is_retried_by_the_next_wait(conn: str) -> None:
    pool = AsyncClientPool()

    async def wait() -> Any:
        async with pool.client(AwsGenericHook(aws_conn_id=conn, client_type="no-such-service")) as client:
            return client

    async def main() -> list[Any]:
        first = await asyncio.gather(*(wait() for _ in range(5)), return_exceptions=True)
        assert len(pool) == 0  # forgotten: the next wait builds again
        second = await asyncio.gather(wait(), return_exceptions=True)
        return first + second

    outcomes = asyncio.run(main())
    assert all(isinstance(o, UnknownServiceError) for o in outcomes), outcomes
    assert pool.created == 0


@pytest.fixture
def slow_build() -> Iterator[threading.Event]:
    """Hold every client build in its worker thread until the returned event is set."""
    release = threading.Event()
    build = client_pool._build

    def held(hook: Any) -> Any:
        release.wait(10)
        return build(hook)

    with mock.patch.object(client_pool, "_build", held):
        yield release


def test_cancelling_the_wait_that_started_the_build_leaves_it_to_the_others(
    conn: str, slow_build: threading.Event
) -> None:
    pool = AsyncClientPool()

    async def wait() -> Any:
        async with pool.client(glue_hook(conn)) as client:
            return client

    async def main() -> tuple[Any, bool, int]:
        starter = asyncio.create_task(wait())
        while pool.users() < 1:  # the starter is now waiting for the build it started
            await asyncio.sleep(0.01)
        others = [asyncio.create_task(wait()) for _ in range(3)]
        while pool.users() < 4:
            await asyncio.sleep(0.01)
        starter.cancel()
        slow_build.set()
        clients = await asyncio.gather(*others)
        with pytest.raises(asyncio.CancelledError):
            await starter
        return clients, all(c is clients[0] for c in clients), len(pool)

    close = mock.AsyncMock(wraps=client_pool._close_when_open)
    with mock.patch.object(client_pool, "_close_when_open", close):
        clients, same, left_open = asyncio.run(main())
    assert same and clients[0] is not None
    assert pool.created == 1 and left_open == 0
    close.assert_awaited_once()  # by the last user


def test_cancelled_waits_leave_no_unawaited_coroutine_or_unclosed_session(
    conn: str, slow_build: threading.Event
) -> None:
    """Waits cancelled while the client is built, while it is used and while it is closed warn of nothing."""
    pool = AsyncClientPool()

    async def wait() -> None:
        async with pool.client(glue_hook(conn)):
            await asyncio.sleep(3600)

    async def main() -> None:
        during_build = [asyncio.create_task(wait()) for _ in range(3)]
        while pool.users() < 3:
            await asyncio.sleep(0.01)
        for task in during_build:
            task.cancel()
        slow_build.set()
        await asyncio.gather(*during_build, return_exceptions=True)
        during_use = [asyncio.create_task(wait()) for _ in range(3)]
        while pool.created < 2:
            await asyncio.sleep(0.01)
        for task in during_use:
            task.cancel()
        await asyncio.gather(*during_use, return_exceptions=True)
        assert len(pool) == 0

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    problems = [w for w in caught if issubclass(w.category, (RuntimeWarning, ResourceWarning))]
    assert not problems, [str(w.message) for w in problems]


def test_the_process_wide_pool_is_one_object() -> None:
    from airflow_glue_flow.triggers import client_pool as again

    assert again.CLIENTS is CLIENTS


@pytest.mark.slow
def test_assumed_role_credentials_refresh_off_the_loop_while_waits_share_the_client(
    local_glue: LocalGlue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A role connection's credentials expire while two waits share a client; the next call refreshes.

    botocore refreshes temporary credentials once they are within 15 minutes of expiry (advisory window)
    https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html ; the first
    credentials here enter that window five seconds after they are issued.
    """
    extra = {"region_name": local_glue.region, "endpoint_url": local_glue.endpoint_url, "role_arn": ROLE}
    monkeypatch.setenv("AIRFLOW_CONN_ROLE", json.dumps({"conn_type": "aws", "extra": extra}))
    issued: list[tuple[str, str]] = []

    def assume_role(factory: Any) -> dict[str, Any]:
        # The local Glue accepts one key pair, so the issued credentials differ by their session token.
        token = f"ASIAKEY{len(issued) + 1}"
        issued.append((token, threading.current_thread().name))
        ttl = timedelta(minutes=15, seconds=5) if len(issued) == 1 else timedelta(hours=1)
        return {
            "access_key": DEFAULT_ACCESS_KEY_ID,
            "secret_key": DEFAULT_SECRET_ACCESS_KEY,
            "token": token,
            "expiry_time": _iso(ttl),
        }

    signed_with: list[str] = []

    def record_key(request: Any, **_: Any) -> None:
        token = request.headers["X-Amz-Security-Token"]
        signed_with.append(token.decode() if isinstance(token, bytes) else token)

    pool = AsyncClientPool()
    recorded: set[int] = set()

    async def wait(name: str) -> list[str]:
        async with pool.client(GlueJobHook(aws_conn_id="role")) as client:
            if id(client) not in recorded:  # one recorder per client, however many waits share it
                recorded.add(id(client))
                client.meta.events.register("before-send.glue", record_key)
            states = []
            for _ in range(2):
                with pytest.raises(client.exceptions.EntityNotFoundException):
                    await client.get_job(JobName=name)
                states.append(name)
                await asyncio.sleep(6)  # deferred between polls; the credentials expire meanwhile
            return states

    async def main() -> str:
        await asyncio.gather(wait("a"), wait("b"))
        return threading.current_thread().name

    with mock.patch.object(BaseSessionFactory, "_refresh_credentials", assume_role):
        loop_thread = asyncio.run(main())
    assert pool.created == 1
    assert [key for key, _ in issued] == ["ASIAKEY1", "ASIAKEY2"]  # refreshed once for both waits
    # Each wait polled twice; the second polls came after the first credentials entered the refresh
    # window. A poll made while the other wait's refresh is under way still signs with the old
    # credentials (valid for 15 more minutes), so only the last poll is sure to use the new ones.
    assert len(signed_with) == 4 and signed_with == sorted(signed_with)
    assert signed_with[-1] == "ASIAKEY2"
    assert all(thread != loop_thread for _, thread in issued)  # never an STS call on the event loop


ROLE = "arn:aws:iam::123456789012:role/glue-flow-test"


def _iso(ttl: timedelta) -> str:
    return (datetime.now(UTC) + ttl).isoformat()
