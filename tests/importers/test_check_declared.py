"""The state machine check's verdicts on call logs written out by hand (no server): a difference the DAG's
header declares is ``declared``, any other is ``DIFFERENT``."""

from __future__ import annotations

from airflow_glue_flow.importers.check.compare import Row, compare
from airflow_glue_flow.importers.check.declared import CAUGHT, FLAGS_HEADING, state_machine_rules
from airflow_glue_flow.importers.check.observe import Observation, observe
from airflow_glue_flow.importers.check.state_machine import glue_resources
from tests.importers.test_check_compare import Log

#: A DAG file as the importer writes it: a crawl loop flagged for reading only Crawler.State, then a job.
DAG = f'''"""loop: the state machine 'loop', imported by glue-flow import asl.

{CAUGHT}

{FLAGS_HEADING}
- 'Wait': flagged: the original checks only Crawler.State (never LastCrawl.Status), so a FAILED crawl went on to 'Job'
"""

from airflow.sdk import DAG

with DAG(dag_id="loop") as dag:
    wait = GlueCrawlerWaitOperator(task_id="wait", crawler_name="raw", max_attempts=3)
    job = GlueJobRunOperator(task_id="job", job_name="load")
'''
BECAME = {"Start": "start", "Wait": "wait", "Check": "wait", "Job": "job"}


def side(log: Log, outcome: str, succeeded: bool, caught: list[str] | None = None) -> Observation:
    seen = observe(log.entries)
    seen.outcome, seen.succeeded, seen.caught = outcome, succeeded, caught or []
    return seen


def crawl_then_job(crawl: str, job: bool) -> Log:
    log = Log()
    log.add(Action="StartCrawler", Request={"Name": "raw"}, Response={})
    log.add(Event="CrawlEnded", CrawlerName="raw", Status=crawl, Error=None)
    if job:
        log.job("load", "jr_1")
        log.ended("load", "jr_1")
    return log


def verdicts(rows: list[Row]) -> dict[str, str]:
    return {row.item: row.verdict for row in rows}


def test_a_flagged_loop_declares_what_follows_its_failed_crawl_and_nothing_else() -> None:
    rules = state_machine_rules(DAG, BECAME)
    # The crawl fails: the state machine runs the job and succeeds, the DAG stops at the wait.
    original = side(crawl_then_job("FAILED", job=True), "SUCCEEDED", True)
    dag = side(crawl_then_job("FAILED", job=False), "failed", False)

    declared = verdicts(compare("crawl raw fails", original, dag, rules))

    flag = "declared ('Wait' checks only Crawler.State)"
    assert declared["StartJobRun load"] == flag
    assert declared["job load"] == flag
    assert declared["outcome"] == flag
    assert declared["crawl raw"] == "same"
    # The same difference in another scenario is not what the flag declares.
    undeclared = verdicts(compare("all succeed", original, dag, rules))
    assert undeclared["StartJobRun load"] == "DIFFERENT"
    assert undeclared["outcome"] == "DIFFERENT"
    # Without the flag in the header, nothing is declared.
    unflagged = state_machine_rules(DAG.replace("- 'Wait': flagged", "'Wait': flagged"), BECAME)
    assert verdicts(compare("crawl raw fails", original, dag, unflagged))["outcome"] == "DIFFERENT"


def test_a_caught_error_declares_only_a_failed_dag_run_after_a_succeeded_execution() -> None:
    rules = state_machine_rules(DAG, BECAME)
    log = crawl_then_job("SUCCEEDED", job=True)

    def outcome(original: Observation, dag: Observation, source: str = DAG) -> str:
        rows = compare("job load fails", original, dag, state_machine_rules(source, BECAME))
        return verdicts(rows)["outcome"]

    caught = side(log, "SUCCEEDED", True, ["States.TaskFailed"])
    failed_dag = side(log, "failed", False)
    assert outcome(caught, failed_dag) == "declared (a caught States.TaskFailed: the DAG run fails)"
    assert outcome(caught, failed_dag, DAG.replace(CAUGHT, "")) == "DIFFERENT"
    # Nothing caught, or the other way round (the execution failed, the DAG succeeded): undeclared.
    assert outcome(side(log, "SUCCEEDED", True), failed_dag) == "DIFFERENT"
    assert outcome(side(log, "FAILED (States.TaskFailed)", False), side(log, "success", True)) == "DIFFERENT"
    assert outcome(side(log, "FAILED (States.TaskFailed)", False), failed_dag) == "same"
    assert verdicts(compare("all succeed", caught, side(log, "success", True), rules))["outcome"] == "same"


def test_the_fault_matrix_takes_jobs_and_crawlers_from_the_definition_and_the_dag() -> None:
    definition = {
        "States": {
            "Crawl": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                "Parameters": {"Name": "events"},
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "States": {
                            "Run": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::glue:startJobRun.sync",
                                "Parameters": {"JobName": "clean"},
                            }
                        }
                    }
                ],
            },
        }
    }
    resources = glue_resources(definition, DAG)
    assert resources == [("JOB", "clean"), ("JOB", "load"), ("CRAWLER", "events"), ("CRAWLER", "raw")]
