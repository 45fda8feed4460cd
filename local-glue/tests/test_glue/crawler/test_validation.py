"""CreateCrawler / UpdateCrawler refuse what AWS refuses, with AWS's error, through boto3 and the local Glue.

AWS's message for an incremental crawler whose SchemaChangePolicy is not LOG/LOG (InvalidInputException),
as the Glue API returns it; incremental crawls: https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html
"""

from __future__ import annotations

import pytest

from test_glue.crawler.crawls import create_crawler

pytestmark = pytest.mark.slow

INCREMENTAL = {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
LOG_ONLY = {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
MESSAGE = 'SchemaChangePolicy for "Crawl new folders only" Amazon S3 target can have only LOG'


@pytest.mark.parametrize(
    "policy",
    [None, {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"}, {"UpdateBehavior": "LOG"}],
    ids=["defaults", "update-in-database", "default-delete"],
)
def test_incremental_crawler_needs_log_policies(glue_client, bucket, unique, policy):
    extra = {"SchemaChangePolicy": policy} if policy else {}

    with pytest.raises(glue_client.exceptions.InvalidInputException, match=MESSAGE):
        create_crawler(
            glue_client, unique("c"), [f"s3://{bucket}/x/"], "db", RecrawlPolicy=INCREMENTAL, **extra
        )


def test_update_crawler_checks_the_resulting_definition(glue_client, bucket, unique):
    name = unique("c")
    create_crawler(
        glue_client, name, [f"s3://{bucket}/x/"], "db", RecrawlPolicy=INCREMENTAL, SchemaChangePolicy=LOG_ONLY
    )

    with pytest.raises(glue_client.exceptions.InvalidInputException, match=MESSAGE):
        glue_client.update_crawler(Name=name, SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE"})
    glue_client.update_crawler(Name=name, RecrawlPolicy={"RecrawlBehavior": "CRAWL_EVERYTHING"})
    glue_client.update_crawler(Name=name, SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE"})

    stored = glue_client.get_crawler(Name=name)["Crawler"]
    assert stored["SchemaChangePolicy"]["UpdateBehavior"] == "UPDATE_IN_DATABASE"
