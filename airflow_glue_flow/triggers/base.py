"""What every trigger of this package shares: AWS connection settings, serialization and the hook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar

from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook
from airflow.triggers.base import BaseTrigger

from airflow_glue_flow.triggers.client_pool import CLIENTS

HookT = TypeVar("HookT", bound=AwsGenericHook)


class GlueFlowAwsTrigger(BaseTrigger, Generic[HookT]):
    """Base of the package's triggers: keeps the AWS settings and rebuilds the hook in the triggerer.

    Subclasses set :attr:`hook_class` and :attr:`trigger_fields` (the names of their own ``__init__``
    keyword arguments, stored as attributes); :meth:`serialize` returns exactly those plus the AWS ones.

    :param aws_conn_id: Airflow AWS connection id.
    :param region_name: AWS region; the connection's when None.
    :param verify: SSL certificate verification for the client.
    :param botocore_config: botocore client configuration.
    """

    hook_class: ClassVar[type[AwsGenericHook]]
    trigger_fields: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        *,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.verify = verify
        self.botocore_config = botocore_config

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and exactly the ``__init__`` keyword arguments."""
        fields = (*self.trigger_fields, "aws_conn_id", "region_name", "verify", "botocore_config")
        return f"{type(self).__module__}.{type(self).__qualname__}", {f: getattr(self, f) for f in fields}

    @cached_property
    def hook(self) -> HookT:
        """The hook, built from the trigger's connection settings in the triggerer."""
        return self.hook_class(  # type: ignore[return-value]
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            verify=self.verify,
            config=self.botocore_config,
        )

    @asynccontextmanager
    async def async_clients(self, *services: str) -> AsyncIterator[dict[str, Any]]:
        """The aiobotocore clients a wait needs, by service name, for as long as the wait lasts.

        Every trigger of the package gets its AWS clients here and nowhere else. They come from the
        process-wide :data:`~airflow_glue_flow.triggers.client_pool.CLIENTS`: all waits with the same
        connection settings share one client per service, built off the event loop and closed when the
        last of them ends. ``"glue"`` is :attr:`hook`'s, ``"logs"`` the hook's CloudWatch Logs hook's.

        :param services: ``"glue"`` and/or ``"logs"``.
        """
        async with AsyncExitStack() as stack:
            clients: dict[str, Any] = {}
            for service in services:
                hook = self.hook if service == "glue" else self.hook.logs_hook  # type: ignore[attr-defined]
                clients[service] = await stack.enter_async_context(CLIENTS.client(hook, self.botocore_config))
            yield clients
