"""UpdateCrawler and UpdateJob (which deploy steps use to stay idempotent) against the local Glue."""

from __future__ import annotations

import pytest
from local_glue_support import wait_for_crawl

pytestmark = pytest.mark.slow


def test_update_crawler_changes_only_the_given_fields(glue_client, bucket, unique):
    name = unique("crawler")
    glue_client.create_crawler(
        Name=name,
        Role="r1",
        DatabaseName="db1",
        TablePrefix="a_",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/a/"}]},
    )

    glue_client.update_crawler(
        Name=name, TablePrefix="b_", Targets={"S3Targets": [{"Path": f"s3://{bucket}/b/"}]}
    )

    crawler = glue_client.get_crawler(Name=name)["Crawler"]
    assert (crawler["Role"], crawler["DatabaseName"], crawler["TablePrefix"]) == ("r1", "db1", "b_")
    assert crawler["Targets"]["S3Targets"] == [{"Path": f"s3://{bucket}/b/"}]
    assert crawler["Version"] == 2


def test_update_crawler_while_crawling_is_refused(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="a/x.csv", Body=b"a,b\nx,1\n")
    name = unique("crawler")
    glue_client.create_crawler(
        Name=name, Role="r", DatabaseName=unique("db"), Targets={"S3Targets": [{"Path": f"s3://{bucket}/a/"}]}
    )
    glue_client.start_crawler(Name=name)

    with pytest.raises(glue_client.exceptions.CrawlerRunningException):
        glue_client.update_crawler(Name=name, TablePrefix="b_")
    wait_for_crawl(glue_client, name)


def test_update_job_replaces_the_definition(glue_client, bucket, unique):
    name = unique("job")
    glue_client.create_job(
        Name=name,
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/old.py"},
        DefaultArguments={"--OLD": "1"},
        Timeout=5,
    )

    answer = glue_client.update_job(
        JobName=name,
        JobUpdate={
            "Role": "r2",
            "Command": {"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/new.py"},
            "DefaultArguments": {"--NEW": "2"},
        },
    )

    job = glue_client.get_job(JobName=name)["Job"]
    assert answer["JobName"] == name
    assert job["Command"]["ScriptLocation"] == f"s3://{bucket}/new.py"
    assert job["DefaultArguments"] == {"--NEW": "2"}
    assert job["Role"] == "r2"
    assert "Timeout" not in job or job["Timeout"] is None


def test_update_of_unknown_definitions_is_entity_not_found(glue_client):
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.update_crawler(Name="no-such-crawler", TablePrefix="x")
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.update_job(
            JobName="no-such-job", JobUpdate={"Role": "r", "Command": {"Name": "pythonshell"}}
        )
