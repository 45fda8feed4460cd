import pendulum
from airflow.sdk import DAG, task

from tests.conftest import task_states


def test_run_dag_helper_runs_a_dag(run_dag):
    with DAG("smoke", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:

        @task
        def one():
            return 1

        @task
        def fail(x):
            raise ValueError("boom")

        fail(one())

    dr = run_dag(dag)
    assert task_states(dr) == {"one": "success", "fail": "failed"}
