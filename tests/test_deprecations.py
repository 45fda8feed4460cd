"""Public names that moved or were renamed still import from their old places, with a DeprecationWarning.

The old places go in the next minor release (CHANGELOG.md lists them).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest

from airflow_glue_flow.cli import events_setup, flow_jobs, sample, target
from airflow_glue_flow.hooks import s3_events
from airflow_glue_flow.operators import crawler_wait, failure_guard
from airflow_glue_flow.sensors import conditional
from airflow_glue_flow.waits import crawl, drive, job_run


def _old(module: str, new: str) -> Any:
    """Import the old ``module`` anew (its warning fires once per import) and check that it warns."""
    sys.modules.pop(module, None)
    with pytest.warns(DeprecationWarning, match=f"{module} is deprecated .*import from {new}"):
        return importlib.import_module(module)


def test_hooks_waits_moved_to_waits_drive():
    old = _old("airflow_glue_flow.hooks.waits", "airflow_glue_flow.waits.drive")
    assert (old.drive, old.drive_async, old.Step) == (drive.drive, drive.drive_async, drive.Step)


def test_hooks_crawl_wait_moved_to_waits_crawl():
    old = _old("airflow_glue_flow.hooks.crawl_wait", "airflow_glue_flow.waits.crawl")
    assert (old.CrawlWait, old.aws_error) == (crawl.CrawlWait, crawl.aws_error)


def test_hooks_job_wait_moved_to_waits_job_run():
    old = _old("airflow_glue_flow.hooks.job_wait", "airflow_glue_flow.waits.job_run")
    assert (old.JobRunWait, old.job_run_error) == (job_run.JobRunWait, job_run.job_run_error)


def test_events_setup_moved_to_cli():
    old = _old("airflow_glue_flow.events_setup", "airflow_glue_flow.cli.events_setup")
    assert (old.run, old.add_arguments) == (events_setup.run, events_setup.add_arguments)


def test_sample_moved_to_cli_and_its_helpers_beside_it():
    old = _old("airflow_glue_flow.sample", "airflow_glue_flow.cli.sample")
    assert (old.sample_text, old.upload, old.DEFAULT_BUCKET) == (
        sample.sample_text,
        sample.upload,
        sample.DEFAULT_BUCKET,
    )
    # add_target_arguments went to cli/target.py, ensure_bucket to the S3 events hook's module.
    assert (old.add_target_arguments, old.ensure_bucket) == (
        target.add_target_arguments,
        s3_events.ensure_bucket,
    )


def test_flow_jobs_moved_to_cli():
    old = _old("airflow_glue_flow.flow_jobs", "airflow_glue_flow.cli.flow_jobs")
    assert (old.deploy_flow, old.DEFAULT_GLUE_ROLE) == (flow_jobs.deploy_flow, flow_jobs.DEFAULT_GLUE_ROLE)


def test_crawler_ready_sensor_is_now_the_crawler_wait_operator():
    old = _old("airflow_glue_flow.sensors.crawler", "airflow_glue_flow.operators.crawler_wait")
    with pytest.warns(
        DeprecationWarning, match="GlueCrawlerReadySensor .*crawler_wait.GlueCrawlerWaitOperator"
    ):
        renamed = old.GlueCrawlerReadySensor
    assert renamed is crawler_wait.GlueCrawlerWaitOperator
    assert old.coerce_started_after is crawler_wait.coerce_started_after


def test_conditional_trigger_operator_is_now_a_sensor_and_the_guard_an_operator():
    old = _old("airflow_glue_flow.operators.conditional", "airflow_glue_flow.sensors.conditional")
    with pytest.warns(
        DeprecationWarning, match="GlueConditionalTriggerOperator .*GlueConditionalTriggerSensor"
    ):
        renamed = old.GlueConditionalTriggerOperator
    assert renamed is conditional.GlueConditionalTriggerSensor
    assert (old.GlueFlowFailureGuardOperator, old.failure_guard, old.FAILURE_GUARD_TASK_ID) == (
        failure_guard.GlueFlowFailureGuardOperator,
        failure_guard.failure_guard,
        failure_guard.FAILURE_GUARD_TASK_ID,
    )


def test_a_name_the_new_modules_do_not_have_is_an_attribute_error_naming_the_old_module():
    old = _old("airflow_glue_flow.hooks.waits", "airflow_glue_flow.waits.drive")
    with pytest.raises(AttributeError, match="'airflow_glue_flow.hooks.waits' has no attribute 'nothing'"):
        old.nothing  # noqa: B018


def test_each_class_base_matches_its_name_and_folder():
    from airflow.sdk import BaseOperator, BaseSensorOperator

    assert not issubclass(crawler_wait.GlueCrawlerWaitOperator, BaseSensorOperator)
    assert issubclass(crawler_wait.GlueCrawlerWaitOperator, BaseOperator)
    assert issubclass(conditional.GlueConditionalTriggerSensor, BaseSensorOperator)
    assert not issubclass(failure_guard.GlueFlowFailureGuardOperator, BaseSensorOperator)
