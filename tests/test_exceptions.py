"""Every error survives the trip through a trigger event: same class, same message, same fields."""

from __future__ import annotations

import json

import pytest

from airflow_glue_flow import exceptions
from airflow_glue_flow.exceptions import GlueFlowError

SAMPLES = [
    exceptions.GlueCrawlerNotFoundError("se2_in0", "Crawler entry with name se2_in0 does not exist"),
    exceptions.GlueCrawlerRunningError("se2_in0", "RUNNING", "already started"),
    exceptions.GlueCrawlFailedError("se2_in0", "FAILED", "Access denied", "/aws-glue/crawlers", "se2_in0"),
    exceptions.GlueCrawlTimeoutError("se2_in0", "RUNNING", 3, 180),
    exceptions.GlueJobNotFoundError("se2_job0", "Job se2_job0 not found"),
    exceptions.GlueJobStartError("se2_job0", "ThrottlingException", "Rate exceeded", 4),
    exceptions.GlueJobRunFailedError("se2_job0", "jr_1", "FAILED", "ValueError: bad row"),
    exceptions.GlueJobRunTimeoutError("se2_job0", "jr_1", "RUNNING", 240, 7200),
    exceptions.GlueApiCallError("job", "se2_job0", "GetJobRun", "AccessDeniedException", "no", "jr_1"),
    exceptions.GlueConditionError("on_failure", "unknown logical word 'XOR'"),
    exceptions.GlueConditionTimeoutError("on_success", ["csv_to_parquet"], 3600),
    exceptions.GlueTaskParameterError("wait", "wait_time", "'soon'", "is not a number of seconds"),
    exceptions.GlueFlowFailedStepsError(["csv_to_parquet ended FAILED"]),
    exceptions.S3EncodingConversionError("b", {"in/a.csv": "invalid byte 0x81 at offset 3"}),
]


def test_every_error_class_has_a_sample():
    classes = {
        cls
        for cls in vars(exceptions).values()
        if isinstance(cls, type) and issubclass(cls, GlueFlowError) and cls is not GlueFlowError
    }
    assert classes == {type(error) for error in SAMPLES}


@pytest.mark.parametrize("error", SAMPLES, ids=lambda e: type(e).__name__)
def test_round_trip_through_a_json_trigger_event(error):
    event = json.loads(json.dumps(error.to_event()))
    back = GlueFlowError.from_event(event)
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.fields == error.fields


def test_an_unknown_error_type_comes_back_as_the_base_class_with_its_message():
    back = GlueFlowError.from_event({"status": "error", "error_type": "Nope", "error": {}, "message": "m"})
    assert type(back) is GlueFlowError
    assert str(back) == "m"


def test_an_error_without_an_aws_message_names_what_aws_reports_instead():
    assert str(exceptions.GlueJobNotFoundError("j")) == "Glue job 'j' does not exist: EntityNotFoundException"
    assert str(exceptions.GlueCrawlerRunningError("c", "RUNNING")).endswith(": CrawlerRunningException")
    assert (
        str(exceptions.GlueJobRunFailedError("j", "jr_1", "FAILED"))
        == "Glue job 'j' run jr_1 ended FAILED: no error message from AWS"
    )


def test_errors_keep_identity_equality_and_hashing_and_expose_their_fields():
    first, second = (exceptions.GlueJobRunFailedError("j", "jr_1", "FAILED", "boom") for _ in range(2))

    assert first != second and len({first, second}) == 2
    assert (first.job_name, first.run_id, first.state) == ("j", "jr_1", "FAILED")
    with pytest.raises(TypeError):
        exceptions.GlueJobRunFailedError("j")  # the fields without a default are required


def test_a_subclass_without_fields_keeps_the_constructor_it_inherits():
    class Plain(GlueFlowError):
        pass

    class Narrower(exceptions.GlueJobNotFoundError):
        pass

    assert str(Plain("as given")) == "as given"
    assert str(Narrower("j")) == "Glue job 'j' does not exist: EntityNotFoundException"
