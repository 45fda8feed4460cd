"""A Map state as Airflow dynamic task mapping.

A task lists the items (``map_items``: the Map's ``Items``, its ``ItemReader`` on S3, or ``ItemsPath`` in
the execution input; ``ItemSelector`` and ``ItemBatcher`` applied) as the keyword arguments of each
instance; the processor's one Task state becomes ``Operator.partial(...).expand_kwargs(items.output)``,
with ``MaxConcurrency`` as ``max_active_tis_per_dagrun``. A processor of several states (a mapped task
group) is not translated yet: the import names it.
https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_glue_flow.importers.asl.model import AslImportError, Code, Task
from airflow_glue_flow.importers.asl.tasks import lambda_function, retry_args, task_spec

if TYPE_CHECKING:
    from airflow_glue_flow.importers.asl.plan import Planner

#: Map fields read here; the rest are listed as not carried.
MAP_READ = {"ItemProcessor", "Iterator", "Items", "ItemsPath", "InputPath", "ItemReader", "ItemSelector"}
MAP_READ |= {"ItemBatcher", "MaxConcurrency", "Label", "ToleratedFailurePercentage"}
MAP_READ |= {"ToleratedFailureCount", "Parameters"}
#: Per kind of processor Task: the Parameters fields an item can set -> (operator argument, as JSON text).
_PER_ITEM = {
    "job": {"JobName": ("job_name", False), "Arguments": ("script_args", False)},
    "lambda": {"Payload": ("payload", True)},
}


def _join(input_path: str, items_path: str) -> str:
    return input_path + items_path[1:]


def _dynamic(state: str, parameters: dict[str, Any]) -> None:
    """Refuse a path field an item cannot give (an intrinsic function such as ``States.Format``)."""
    for key, value in parameters.items():
        if key.endswith(".$") and not (isinstance(value, str) and value.startswith("$")):
            raise AslImportError(state, f"Parameters.{key} {value!r} (an intrinsic function on a Map item)")
        if isinstance(value, dict):
            _dynamic(state, value)


def _paths(parameters: dict[str, Any]) -> list[str]:
    """The ``$.`` paths (not ``$$.``, the context object) of a Parameters-like field."""
    found = []
    for key, value in parameters.items():
        if (
            key.endswith(".$")
            and isinstance(value, str)
            and value.startswith("$")
            and not value.startswith("$$")
        ):
            found.append(value)
        elif isinstance(value, dict):
            found += _paths(value)
    return found


def _processor(state: str, definition: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    processor = definition.get("ItemProcessor") or definition.get("Iterator") or {}
    states = processor.get("States", {})
    if len(states) != 1:
        raise AslImportError(
            state, f"a Map whose processor has {len(states)} states (a mapped task group, not translated yet)"
        )
    ((name, inner),) = states.items()
    if inner.get("Type") != "Task":
        raise AslImportError(state, f"a Map whose processor is a {inner.get('Type')} state")
    return name, inner


def _source(planner: Planner, state: str, definition: dict[str, Any], where: str) -> dict[str, Any]:
    """The ``map_items`` arguments that find the items, and the flags of how they are read."""
    source: dict[str, Any] = {"items": None, "reader": None, "items_path": None}
    if "ItemReader" in definition:
        reader = definition["ItemReader"]
        resource = str(reader.get("Resource", ""))
        config = reader.get("ReaderConfig") or {}
        if resource.endswith("s3:getObject") and config.get("InputType", "JSON") != "JSON":
            raise AslImportError(state, f"an ItemReader of InputType {config['InputType']}")
        if not resource.endswith(("s3:listObjectsV2", "s3:getObject")):
            raise AslImportError(state, f"the ItemReader {resource}")
        _dynamic(state, reader.get("Parameters") or {})
        for path in _paths(reader.get("Parameters") or {}):
            planner.input_note(state, path, "its ItemReader's field")
        source["reader"] = {
            "Resource": resource,
            "Parameters": planner.params.value(reader.get("Parameters") or {}, f"state {state!r} ItemReader"),
        }
        planner.plan_.not_carried += [f"{where}.ItemReader.{k}" for k in reader if k not in source["reader"]]
    elif isinstance(definition.get("Items"), list):
        source["items"] = planner.params.value(definition["Items"], f"state {state!r} Items")
    elif "Items" in definition:
        raise AslImportError(state, f"Items {definition['Items']!r} (a JSONata expression)")
    else:
        path = _join(str(definition.get("InputPath", "$")), str(definition.get("ItemsPath", "$")))
        source["items_path"] = path
        planner.input_note(state, path, "its items")
    return source


def plan_map(
    planner: Planner, state: str, definition: dict[str, Any], group: str | None, where: str
) -> tuple[str, str]:
    """The items task and the mapped task of a Map state: (entry var, exit var)."""
    name, inner = _processor(state, definition)
    inner_where = f"{where}.ItemProcessor.States.{name}"
    parameters: dict[str, Any] = dict(inner.get("Parameters") or {})
    _dynamic(name, parameters)
    function = lambda_function(name, inner)
    if function is not None and not str(inner.get("Resource")).startswith("arn:aws:states:::"):
        parameters = {"Payload": parameters} if parameters else {"Payload.$": "$"}
    static = {k: v for k, v in parameters.items() if not k.endswith(".$")}
    dynamic = {k[:-2]: v for k, v in parameters.items() if k.endswith(".$")}
    resource = str(inner.get("Resource", ""))
    job = resource in ("arn:aws:states:::glue:startJobRun.sync", "arn:aws:states:::glue:startJobRun")
    kind = "lambda" if function is not None else "job" if job else None
    if kind is None:
        raise AslImportError(
            name, f"a Map processor Task on {inner.get('Resource')} (mapped: Lambda, Glue job)"
        )
    per_item = _PER_ITEM[kind]
    for key in dynamic:
        if key not in per_item:
            raise AslImportError(name, f"Parameters.{key}.$ (per Map item; mapped: {', '.join(per_item)})")
    spec_parameters = {k: v for k, v in static.items() if k not in per_item}
    if kind == "job":
        spec_parameters["JobName"] = static.get("JobName", "")
    spec = task_spec(name, {**inner, "Parameters": spec_parameters}, planner.params, inner_where)
    args = {k: v for k, v in spec.args.items() if k not in {a for a, _ in per_item.values()}}
    arguments = {}
    for key, (argument, as_json) in per_item.items():
        if key in dynamic or key in static:
            field = {f"{key}.$": dynamic[key]} if key in dynamic else {key: static[key]}
            field = planner.params.value(field, f"state {name!r} Parameters.{key}")
            arguments[argument] = {"key": key, "parameters": field, "json": as_json}
    if "job_name" in spec.args and "job_name" not in arguments:
        args["job_name"] = spec.args["job_name"]
    planner.plan_.not_carried.extend(spec.not_carried)
    planner.carry(name, inner, inner_where, set())
    planner.carry(state, definition, where, MAP_READ)

    source = _source(planner, state, definition, where)
    batcher = definition.get("ItemBatcher")
    if batcher is not None:
        planner.plan_.not_carried += [
            f"{where}.ItemBatcher.{k}" for k in batcher if k not in ("MaxItemsPerBatch", "BatchInput")
        ]
        if "MaxItemsPerBatch" not in batcher:
            raise AslImportError(state, "an ItemBatcher without MaxItemsPerBatch")
        batcher = planner.params.value(
            {k: batcher[k] for k in ("MaxItemsPerBatch", "BatchInput") if k in batcher},
            f"state {state!r} ItemBatcher",
        )
    selector = definition.get("ItemSelector", definition.get("Parameters"))
    if selector is not None:
        _dynamic(state, selector)
        for path in _paths(selector):
            planner.input_note(state, path, "its ItemSelector's field")
        selector = planner.params.value(selector, f"state {state!r} ItemSelector")
    items_var = planner.names.allocate(f"{state} items")
    comment = [
        f"From Map state {state!r}: list its items as the arguments of each mapped instance of {name!r}."
    ]
    op_kwargs = {"state": state, **source, "selector": selector, "batcher": batcher, "arguments": arguments}
    items = planner.add(
        Task(
            items_var,
            "python",
            state,
            {"python_callable": Code("map_items"), "op_kwargs": op_kwargs},
            comment,
        ),
        group,
    )
    concurrency = definition.get("MaxConcurrency", 0)
    if isinstance(concurrency, int) and concurrency > 0:
        args["max_active_tis_per_dagrun"] = concurrency
    elif concurrency:
        planner.plan_.not_carried.append(f"{where}.MaxConcurrency ({concurrency!r} is not a number)")
    if inner.get("Retry"):
        retry, notes = retry_args(name, inner["Retry"])
        args.update(retry)
    else:
        notes = []
    comment = [f"From Task state {name!r}, the processor of Map state {state!r}: {spec.note}, once per item."]
    comment += [f"Retry: {n}." for n in notes]
    for key in ("ToleratedFailurePercentage", "ToleratedFailureCount"):
        if key in definition:
            planner.plan_.flags.append(
                f"Map state {state!r}: {key} {definition[key]} not carried: any failed item fails the Map"
            )
    mapped = Task(planner.names.allocate(name), spec.kind, name, args, comment, [(items_var, "next")])
    mapped.expand = items_var
    planner.add(mapped, group)
    planner.row(state, f"{items.task_id} (PythonOperator listing the items) -> {mapped.task_id}")
    planner.row(name, f"{mapped.task_id} ({planner.op_name(spec.kind)}, mapped over the items)")
    return items_var, mapped.var
