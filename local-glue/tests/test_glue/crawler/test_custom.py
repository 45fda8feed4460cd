"""Custom classifiers through the Glue API of the local Glue, and crawls that use them.

API: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-classifiers.html
Custom classifiers run first, in the crawler's order: https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html
"""

from __future__ import annotations

import pytest

from test_glue.crawler.crawls import columns, create_crawler, run_crawl

pytestmark = pytest.mark.slow


def test_create_get_update_delete_a_csv_classifier(glue_client, unique):
    name = unique("hash")
    glue_client.create_classifier(CsvClassifier={"Name": name, "Delimiter": "#", "ContainsHeader": "PRESENT"})

    stored = glue_client.get_classifier(Name=name)["Classifier"]["CsvClassifier"]
    with pytest.raises(glue_client.exceptions.AlreadyExistsException):
        glue_client.create_classifier(CsvClassifier={"Name": name, "Delimiter": ";"})
    glue_client.update_classifier(CsvClassifier={"Name": name, "QuoteSymbol": "'"})
    updated = glue_client.get_classifier(Name=name)["Classifier"]["CsvClassifier"]
    listed = [
        c["CsvClassifier"]["Name"]
        for c in glue_client.get_classifiers()["Classifiers"]
        if "CsvClassifier" in c
    ]
    glue_client.delete_classifier(Name=name)

    assert (stored["Delimiter"], stored["ContainsHeader"], stored["Version"]) == ("#", "PRESENT", 1)
    assert (updated["Delimiter"], updated["QuoteSymbol"], updated["Version"]) == ("#", "'", 2)
    assert name in listed
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.get_classifier(Name=name)


def test_crawl_uses_the_crawlers_custom_csv_classifier_first(glue_client, s3_client, bucket, unique):
    classifier = unique("hash")
    glue_client.create_classifier(
        CsvClassifier={
            "Name": classifier,
            "Delimiter": "#",
            "ContainsHeader": "ABSENT",
            "Header": ["Code", "Label"],
            "Serde": "OpenCSVSerDe",
        }
    )
    s3_client.put_object(Bucket=bucket, Key="codes/a.txt", Body=b"1#one\n2#two\n")
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/codes/"], database, Classifiers=[classifier])

    assert run_crawl(glue_client, name)["LastCrawl"]["Status"] == "SUCCEEDED"

    table = glue_client.get_table(DatabaseName=database, Name="codes")["Table"]
    assert columns(table) == [("code", "bigint"), ("label", "string")]
    assert table["Parameters"]["delimiter"] == "#"
    assert "skip.header.line.count" not in table["Parameters"]
    assert (
        table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.apache.hadoop.hive.serde2.OpenCSVSerde"
    )


def test_a_crawler_naming_a_grok_classifier_is_refused_by_name(glue_client, s3_client, bucket, unique):
    classifier = unique("grok")
    glue_client.create_classifier(
        GrokClassifier={"Name": classifier, "Classification": "logs", "GrokPattern": "%{WORD:word}"}
    )
    s3_client.put_object(Bucket=bucket, Key="logs/a.log", Body=b"hello\n")
    name, database = unique("crawler"), unique("db")
    create_crawler(glue_client, name, [f"s3://{bucket}/logs/"], database, Classifiers=[classifier])

    last = run_crawl(glue_client, name)["LastCrawl"]

    assert last["Status"] == "FAILED"
    assert f"Classifier {classifier} is a GrokClassifier" in last["ErrorMessage"]
