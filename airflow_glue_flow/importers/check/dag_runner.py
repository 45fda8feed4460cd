"""``python -m airflow_glue_flow.importers.check.dag_runner DAG.py``: run a DAG file once with ``dag.test()``.

The check runs this in a subprocess with an Airflow home of its own (the DAG file in its DAGs folder) and
the AWS connection pointed at the endpoint. Only the waits are shortened: each task's time between checks
becomes :data:`CHECK_SECONDS` with the same total budget (a crawl wait's ``max_attempts`` grows by as much as
its ``wait_time`` shrinks), so what the tasks call and decide is the DAG's own. The last line of stdout is
JSON: ``{"state": <the DAG run's state>, "tasks": {task_id: state}}``.
"""

from __future__ import annotations

import json
import math
import runpy
import sys
from typing import Any

#: Seconds between two checks of a job run, a crawl or a trigger condition while the check runs the DAG.
CHECK_SECONDS = 0.5
#: The marker before the result line.
RESULT_MARKER = "glue-flow-check-result: "


def shorten_waits(dag: Any) -> None:
    """Check every :data:`CHECK_SECONDS`; a wait with ``max_attempts`` keeps its budget (attempts x time)."""
    for task in dag.tasks:
        if isinstance(getattr(task, "poke_interval", None), int | float):
            task.poke_interval = min(task.poke_interval, CHECK_SECONDS)
        for interval in ("poll_interval", "wait_time"):
            wait, attempts = getattr(task, interval, None), getattr(task, "max_attempts", None)
            if not isinstance(wait, int | float) or wait <= CHECK_SECONDS:
                continue
            if isinstance(attempts, int):
                task.max_attempts = math.ceil(attempts * wait / CHECK_SECONDS)
            setattr(task, interval, CHECK_SECONDS)


def main(argv: list[str]) -> int:
    """Run the DAG of the file ``argv[0]`` once; ``argv[1]``, when given, is the run's conf as JSON."""
    from airflow.sdk import DAG

    namespace = runpy.run_path(argv[0])
    dags = [value for value in namespace.values() if isinstance(value, DAG)]
    if len(dags) != 1:
        print(f"{argv[0]}: {len(dags)} DAGs, the check runs exactly one", file=sys.stderr)
        return 2
    dag = dags[0]
    shorten_waits(dag)
    run = dag.test(run_conf=json.loads(argv[1]) if len(argv) > 1 else None)
    tasks: dict[str, Any] = {}
    try:
        tasks = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
    except Exception as err:  # noqa: BLE001 - the task states only help to read a difference
        tasks = {"(unknown)": str(err)}
    print(
        RESULT_MARKER
        + json.dumps({"state": str(getattr(run.state, "value", run.state)), "tasks": tasks}, sort_keys=True)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
