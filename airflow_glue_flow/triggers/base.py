"""What every trigger of this package shares: AWS connection settings, serialization and the hook.

The triggerer imports a trigger's module on its event loop (by the class path the trigger serialized),
so the trigger modules import nothing heavy: the amazon provider, botocore, aiobotocore and the package's
hooks are imported by :func:`import_off_loop` in a worker thread when a wait first runs.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from airflow.triggers.base import BaseTrigger, TaskSuccessEvent, TriggerEvent

from airflow_glue_flow.triggers.gc_freeze import frozen_after
from airflow_glue_flow.triggers.options import MERGED_CHECKS, option_enabled

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook

    from airflow_glue_flow.waits.drive import Service

HookT = TypeVar("HookT", bound="AwsGenericHook[Any]")
#: What a wait needs in the triggerer besides its own modules: the shared client pool (aiobotocore,
#: botocore), the merged checks and the XCom API that ends a task from the triggerer.
RUNTIME_MODULES = (
    "airflow_glue_flow.triggers.client_pool",
    "airflow_glue_flow.triggers.merged_checks",
    "airflow.sdk.bases.xcom",
    "airflow_glue_flow.compat",
    "asgiref.sync",
)
#: The keyword arguments every trigger of the package takes besides its own: the deferring task's.
AWS_FIELDS = ("aws_conn_id", "region_name", "verify", "botocore_config", "end_from_trigger")


async def import_off_loop(*modules: str) -> list[ModuleType]:
    """Import ``modules`` in a worker thread and return them; the event loop keeps running meanwhile.

    Importing the amazon provider, botocore and aiobotocore takes about half a second of CPU, which on
    the triggerer's loop would stall every other trigger. A first import runs under
    :func:`~airflow_glue_flow.triggers.gc_freeze.frozen_after`, so that the objects it makes do not set off
    a full garbage collection (which would hold the GIL, and with it the loop); modules already imported
    cost a dict look-up.

    :param modules: dotted module names.
    """
    if all(_imported(name) for name in modules):
        # Every wait after the first: no thread hop.
        return [sys.modules[name] for name in modules]

    def import_all() -> list[ModuleType]:
        # import_module also waits for a module another thread is still importing.
        with frozen_after():
            return [importlib.import_module(name) for name in modules]

    return await asyncio.to_thread(import_all)


def _imported(name: str) -> bool:
    """Whether module ``name`` is imported in full (not still running its body in another thread)."""
    module = sys.modules.get(name)
    return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)


def task_aws_fields(task: Any) -> dict[str, Any]:
    """The :data:`AWS_FIELDS` of the task that defers, to build its trigger with.

    :param task: an ``AwsBaseOperator`` (or sensor) with an ``end_from_trigger`` attribute.
    """
    return {name: getattr(task, name) for name in AWS_FIELDS}


class GlueFlowAwsTrigger(BaseTrigger, Generic[HookT]):
    """Base of the package's triggers: keeps the AWS settings and rebuilds the hook in the triggerer.

    Subclasses set :attr:`hook_path` (the dotted path of their hook class, imported off the loop when a
    wait first runs) and :attr:`trigger_fields` (the names of their own ``__init__`` keyword arguments,
    stored as attributes); :meth:`serialize` returns exactly those plus the AWS ones.

    :param aws_conn_id: Airflow AWS connection id.
    :param region_name: AWS region; the connection's when None.
    :param verify: SSL certificate verification for the client.
    :param botocore_config: botocore client configuration.
    :param end_from_trigger: end the task instance from the triggerer when the wait succeeds (with the
        XComs the task would push), so no worker has to resume it; failures always resume the task, which
        raises the same error as in sync mode.
    """

    hook_path: ClassVar[str]
    trigger_fields: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        *,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict[str, Any] | None = None,
        end_from_trigger: bool = False,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # BaseTrigger.__init__ has no annotations
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.verify = verify
        self.botocore_config = botocore_config
        self.end_from_trigger = end_from_trigger

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and exactly the ``__init__`` keyword arguments."""
        fields = (*self.trigger_fields, *AWS_FIELDS)
        return f"{type(self).__module__}.{type(self).__qualname__}", {f: getattr(self, f) for f in fields}

    async def load(self, *modules: str) -> list[ModuleType]:
        """Import what a wait needs off the loop: ``modules``, the hook's and :data:`RUNTIME_MODULES`.

        :meth:`async_clients` awaits it too, so :attr:`hook` and the client pool are there before use.

        :param modules: the wait's own modules; they are returned in this order.
        """
        hook_module = self.hook_path.rpartition(".")[0]
        return (await import_off_loop(*modules, hook_module, *RUNTIME_MODULES))[: len(modules)]

    @property
    def hook(self) -> HookT:
        """A hook built from the trigger's connection settings (in the triggerer, after :meth:`load`).

        A new one each time, kept by nobody: a wait uses it only to get its clients (and to log a stop),
        and a hook kept for the whole wait would be a dozen more objects per wait (the hook, its
        connection wrapper, its retry policy, its logger) for every full garbage collection to walk.
        """
        module, _, name = self.hook_path.rpartition(".")
        hook_class: type[HookT] = getattr(importlib.import_module(module), name)
        return hook_class(
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            verify=self.verify,
            config=self.botocore_config,
        )

    def async_clients(self, *services: Service) -> WaitClients:
        """The aiobotocore clients a wait needs, by service name: ``async with trigger.async_clients(...)``.

        Every trigger of the package gets its AWS clients here and nowhere else, from the process-wide
        :data:`~airflow_glue_flow.triggers.client_pool.CLIENTS` (one client per service and connection
        settings, shared by all waits, built off the event loop, closed when the last wait ends): ``"glue"``
        from :attr:`hook`, ``"logs"`` from the hook's CloudWatch Logs hook (Glue job hooks have one). With
        ``[glue_flow] merged_checks`` on, the Glue client merges the checks of waits that fall due together
        (:mod:`~airflow_glue_flow.triggers.merged_checks`).

        :param services: ``"glue"`` and/or ``"logs"``.
        """
        return WaitClients(self, services)

    async def outcome(self, event: dict[str, Any], value: Any, xcoms: dict[str, Any]) -> TriggerEvent:
        """The event to fire for a finished wait.

        A success with :attr:`end_from_trigger` ends the task instance here: the trigger pushes ``value``
        as the task's return value and ``xcoms`` (through the SDK's XCom API, as the task would), then
        fires ``TaskSuccessEvent``. The worker that deferred the task never resumes, so the scheduler's
        stale "success" of that worker cannot meet a re-queued task (apache/airflow issues 66374, 67287,
        72716). The XComs are not sent in the event itself: Airflow 3.3 stores an end event's XComs
        JSON-encoded a second time, so tasks would read them back as strings.
        Anything else (or a trigger run without its task instance) resumes the task with ``event``.

        :param event: the wait's event payload.
        :param value: the task's return value on success.
        :param xcoms: the other XComs the task pushes on success.
        """
        ti = getattr(self, "task_instance", None)
        if not (self.end_from_trigger and event.get("status") == "success" and ti is not None):
            return TriggerEvent(event)
        # Imported off the loop by load(), which every wait awaited before it got here.
        from asgiref.sync import sync_to_async

        from airflow_glue_flow.compat import XCOM_RETURN_KEY, BaseXCom

        map_index = ti.map_index if ti.map_index is not None else -1
        for key, pushed in {XCOM_RETURN_KEY: value, **xcoms}.items():
            await sync_to_async(BaseXCom.set)(
                key, pushed, dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id, map_index=map_index
            )
        return TaskSuccessEvent()


class WaitClients:
    """A wait's shared clients (:meth:`GlueFlowAwsTrigger.async_clients`), held for an ``async with`` block.

    A class with slots rather than an ``@asynccontextmanager``, for the reason
    :class:`~airflow_glue_flow.triggers.client_pool.ClientLease` gives: it lives as long as the wait.
    """

    __slots__ = ("_trigger", "_services", "_leases")

    def __init__(self, trigger: GlueFlowAwsTrigger[Any], services: tuple[Service, ...]) -> None:
        self._trigger: GlueFlowAwsTrigger[Any] | None = trigger
        self._services = services
        self._leases: list[Any] = []

    async def __aenter__(self) -> dict[str, Any]:
        trigger, self._trigger = self._trigger, None
        if trigger is None:
            raise RuntimeError("a wait's clients are entered once")
        await trigger.load()
        # Imported off the loop just now.
        from airflow_glue_flow.triggers.client_pool import CLIENTS
        from airflow_glue_flow.triggers.merged_checks import merging

        merged = option_enabled(MERGED_CHECKS)
        hook = trigger.hook
        clients: dict[str, Any] = {}
        try:
            for service in self._services:
                # Only the job hook has logs_hook; waits ask for "logs" only on job triggers.
                service_hook = hook if service == "glue" else hook.logs_hook
                lease = CLIENTS.client(service_hook, trigger.botocore_config)
                client = await lease.__aenter__()
                self._leases.append(lease)
                clients[service] = merging(client) if service == "glue" and merged else client
        except BaseException:
            await self._leave()
            raise
        return clients

    async def __aexit__(self, *exc_info: object) -> None:
        await self._leave()

    async def _leave(self) -> None:
        """Give back every client, the last taken first, even when giving one back fails."""
        if self._leases:
            lease = self._leases.pop()
            try:
                await lease.__aexit__(None, None, None)
            finally:
                await self._leave()
