"""tests/support/airflow_internals.py against the installed Airflow (fast, so the lowest-versions lane runs it too).

Each helper stands in for a public API that does not exist; if an Airflow release moves what it uses,
this test names the helper that broke instead of every DAG test failing at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import task_states
from tests.support.airflow_internals import (
    IDLE_POLL_SECONDS,
    asset_triggered_run,
    asset_watcher_trigger,
    first_scheduled_run,
    is_event_trigger,
    parse_dags,
    quick_idle_polls,
    real_trigger_events,
    recording_task_errors,
    run_existing,
    submit_trigger_event,
    unpause_in_db,
    watcher_trigger_row,
    write_dag_to_db,
)
from tests.support.fakes import patch_sleep


def _dag() -> Any:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
    from airflow.sdk import DAG, BaseOperator

    class Waits(BaseOperator):
        """Defers once to a trigger that fires at once, then finishes with the event's moment."""

        def execute(self, context: Any) -> None:
            self.defer(trigger=TimeDeltaTrigger(timedelta(0)), method_name="resumed")

        def resumed(self, context: Any, event: Any = None) -> str:
            return "resumed"

    def fail() -> None:
        raise KeyError("the error dag.test's runner saw")

    with DAG("airflow_internals_check", schedule=None) as dag:
        Waits(task_id="waits") >> PythonOperator(task_id="fails", python_callable=fail)
    return dag


def test_a_test_built_dag_runs_and_hands_its_trigger_event_and_errors_to_the_test(run_dag):
    # run_dag writes the DAG to the metadata database (write_dag_to_db) after migrate_db created it.
    with real_trigger_events() as events, recording_task_errors() as errors:
        dag_run = run_dag(_dag())

    assert task_states(dag_run) == {"waits": "success", "fails": "failed"}
    assert len(events) == 1  # the one trigger ran the triggerer's way, once
    assert dag_run.get_task_instance("waits").xcom_pull(task_ids="waits") == "resumed"
    with pytest.raises(KeyError, match="the error dag.test's runner saw"):
        raise errors["fails"]
    assert set(errors) == {"fails"}


def test_quick_idle_polls_shortens_only_dag_tests_own_wait_when_no_task_is_ready(airflow_db):
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG, task

    from airflow_glue_flow.compat import AirflowSkipException

    @task
    def skips() -> None:
        raise AirflowSkipException("nothing to do")

    # The skip reaches "joins" only on the pass after the one that skipped "skipped_too": in between no
    # task is ready, and dag.test() waits before its next pass.
    with DAG("airflow_internals_idle_check", schedule=None) as dag:
        (
            skips()
            >> EmptyOperator(task_id="skipped_too")
            >> EmptyOperator(task_id="joins", trigger_rule="none_failed")
        )
    write_dag_to_db(dag)

    with patch_sleep() as sleep, quick_idle_polls() as idle_waits:
        import time

        time.sleep(5)  # any other caller gets the time.sleep in place before (here the test's fake)
        dag_run = dag.test()

    assert task_states(dag_run) == {"skips": "skipped", "skipped_too": "skipped", "joins": "success"}
    assert idle_waits and set(idle_waits) == {1}  # dag.test()'s one-second wait, seen...
    # ...and shortened, through the time.sleep in place before, as the other caller's was passed on whole.
    assert [c.args for c in sleep.call_args_list] == [(5,)] + [(IDLE_POLL_SECONDS,)] * len(idle_waits)


def test_parse_dags_returns_the_dags_and_each_files_import_error(tmp_path, airflow_db):
    (tmp_path / "good.py").write_text(
        "from airflow.sdk import DAG\nwith DAG('parsed', schedule=None):\n    pass\n", encoding="utf-8"
    )
    (tmp_path / "broken.py").write_text("from airflow.sdk import DAG\nraise KeyError('in the DAG file')\n")

    bag = parse_dags(tmp_path)

    assert set(bag.dag_ids) == {"parsed"}
    assert list(bag.import_errors) == [str(tmp_path / "broken.py")]
    assert "KeyError" in bag.import_errors[str(tmp_path / "broken.py")]


@pytest.mark.parametrize("run_immediately", [False, True])
def test_first_scheduled_run_follows_the_sdk_timetable(run_immediately):
    import pendulum
    from airflow.sdk import DAG

    from airflow_glue_flow.compat import CronTriggerTimetable

    timetable = CronTriggerTimetable("0 3 * * *", timezone="UTC", run_immediately=run_immediately)
    with DAG("scheduled", schedule=timetable, catchup=False) as dag:
        pass
    now = pendulum.now("UTC")

    first = first_scheduled_run(dag)

    assert (first.run_after.hour, first.run_after.minute) == (3, 0)
    if run_immediately:  # the last 03:00, at once
        assert now.subtract(days=1) <= first.run_after <= now
    else:  # the next 03:00
        assert now < first.run_after <= now.add(days=1)


def test_is_event_trigger_tells_an_asset_watchers_trigger_from_a_tasks():
    from airflow.providers.standard.triggers.file import FileDeleteTrigger
    from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger

    assert is_event_trigger(FileDeleteTrigger(filepath="/tmp/landing"))
    assert not is_event_trigger(TimeDeltaTrigger(timedelta(0)))


def test_an_asset_watchers_event_makes_the_run_that_runs(airflow_db, tmp_path):
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.providers.standard.triggers.file import FileDeleteTrigger
    from airflow.sdk import DAG, Asset, AssetWatcher
    from airflow.triggers.base import TriggerEvent

    watched = Asset(
        "internals_check_asset",
        watchers=[AssetWatcher(name="landing", trigger=FileDeleteTrigger(filepath=str(tmp_path / "f")))],
    )
    with DAG("internals_check_assets", schedule=[watched]) as dag:
        PythonOperator(task_id="reads_conf", python_callable=lambda params, dag_run: dag_run.conf["marker"])
    write_dag_to_db(dag)
    unpause_in_db(dag.dag_id)
    write_dag_to_db(dag)  # an unpaused DAG's watchers are registered

    trigger_id, trigger = asset_watcher_trigger("internals_check_asset")
    assert isinstance(trigger, FileDeleteTrigger)
    # The row the DAG processor wrote holds what watcher_trigger_row says: the trigger built from it
    # encodes the same.
    row = watcher_trigger_row(watched.watchers[0].trigger)
    assert row == watcher_trigger_row(trigger)
    assert row["classpath"] == "airflow.providers.standard.triggers.file.FileDeleteTrigger"
    assert row["kwargs"]["filepath"] == str(tmp_path / "f")
    submit_trigger_event(trigger_id, TriggerEvent({"file": "f"}))
    run_id, consumed = asset_triggered_run(dag.dag_id, conf={"marker": "m"})
    dag_run = run_existing(dag, run_id)

    assert consumed == 1
    assert (dag_run.run_id, str(dag_run.state)) == (run_id, "success")
    assert dag_run.get_task_instance("reads_conf").xcom_pull(task_ids="reads_conf") == "m"
