"""Public Glue job scripts, run word for word on one local Glue (see ``data/public_scripts/SOURCES.md``).

Each test lands an input shaped as the script expects, crawls it as the script's README or AWS's page
says, runs the script unchanged as a Spark job and checks its outputs against what AWS documents: no
null where the input had a value, Glue's choice shapes, partition folders; or that the run is refused
with a message naming the API the local Glue lacks. The scripts share one server, so all but the first
run take the warm Spark.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from local_glue_support import require_spark

from glue_flow_local.testing import LocalGlue

from .public_lake import INPUTS, Lake, medicare_csv

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    require_spark()
    with LocalGlue(
        state_dir=tmp_path_factory.mktemp("public-scripts") / "state", min_crawl_seconds=0.2
    ) as local:
        yield Lake(local)


def _ok(run: dict[str, Any]) -> None:
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")


def test_join_and_relationalize_joins_writes_partitions_then_refuses_jdbc(lake: Lake) -> None:
    # aws-glue-samples' join_and_relationalize.py over the legislators data: one folder holding three
    # JSON files of different schemas, which the crawler makes into three tables named after the files
    # (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-legislators.html).
    for name in ("persons", "memberships", "organizations"):
        lake.land(
            "awsglue-datasets",
            f"examples/us-legislators/all/{name}.json",
            INPUTS / "legislators" / f"{name}.json",
        )
    tables = lake.crawl("legislators", "legislators", "s3://awsglue-datasets/examples/us-legislators/all/")
    assert {"persons_json", "memberships_json", "organizations_json"} <= set(tables)
    lake.bucket("glue-sample-target")
    run = lake.run("join_and_relationalize.py")
    # The script ends by writing to Redshift through a catalog JDBC connection: refused by name.
    assert run["JobRunState"] == "FAILED"
    assert "from_jdbc_conf" in run["ErrorMessage"].splitlines()[0], run["ErrorMessage"]
    history = lake.parquet("glue-sample-target", "output-dir/legislator_history/")
    assert sorted((r["name"], r["org_name"], r["role"]) for r in history) == [
        ("Ann Able", "House", "member"),
        ("Ann Able", "Senate", "senator"),
        ("Bob Baker", "House", "member"),
        ("Cy Cole", "House", "member"),
    ]
    # person_id and org_id dropped; the persons' own other_names and identifiers stay (only the
    # organizations' were dropped before the join)
    assert not {"person_id", "org_id"} & set(history[0])
    assert history[0]["identifiers"] and "seats" in history[0]
    ann_senate = next(r for r in history if r["org_name"] == "Senate")
    assert ann_senate["family_name"] == "Able" and ann_senate["seats"] == 100
    assert ann_senate["links"] == [
        {"note": "wikipedia (en)", "url": "https://en.wikipedia.org/wiki/Ann_Able"}
    ]
    assert len(lake.parquet("glue-sample-target", "output-dir/legislator_single/")) == 4
    parts = lake.keys("glue-sample-target", "output-dir/legislator_part/")
    assert {key.split("/")[2] for key in parts if key.endswith(".parquet")} == {
        "org_name=House",
        "org_name=Senate",
    }


def _medicare(lake: Lake) -> None:
    """Land and crawl the Medicare sample once for the tests that read it."""
    databases = {d["Name"] for d in lake.glue.get_databases()["DatabaseList"]}
    if "payments" not in databases:
        lake.land("awsglue-datasets", "examples/medicare/Medicare_Hospital_Provider.csv", medicare_csv())
        tables = lake.crawl("medicare", "payments", "s3://awsglue-datasets/examples/medicare/")
        columns = {c["Name"]: c["Type"] for c in tables["medicare"]["StorageDescriptor"]["Columns"]}
        assert columns["provider id"] == "bigint" and columns["average covered charges"] == "string"
    lake.bucket("glue-sample-target")


def test_resolve_choice_gives_glues_four_shapes(lake: Lake) -> None:
    # aws-glue-samples' resolve_choice.py: "provider id" is bigint in the catalog and a choice of long and
    # string when read; cast / project / make_cols / make_struct as
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-ResolveChoice.html
    _medicare(lake)
    _ok(lake.run("resolve_choice.py"))
    out = "output-dir/medicare_json_"
    cast = lake.json_lines("glue-sample-target", out + "cast/")
    assert len(cast) == 1002
    assert sorted(r["provider id"] for r in cast if "provider id" in r)[:2] == [10001, 10002]
    # cast:long: text that is no number becomes null (Glue's JSON writer leaves a null field out)
    assert sum("provider id" not in r for r in cast) == 2
    project = lake.json_lines("glue-sample-target", out + "project/")
    assert sum("provider id" in r for r in project) == 1000
    cols = lake.json_lines("glue-sample-target", out + "make_cols/")
    assert sum("provider id_long" in r for r in cols) == 1000
    assert sorted(r["provider id_string"] for r in cols if "provider id_string" in r) == ["ABC", "DEF"]
    assert not any("provider id" in r for r in cols)
    struct = lake.json_lines("glue-sample-target", out + "make_struct/")
    assert {"long": 10001} in [r["provider id"] for r in struct]
    assert {"string": "ABC"} in [r["provider id"] for r in struct]
    sql = lake.json_lines("glue-sample-target", out + "sql/")
    assert sql and all(r["total discharges"] > 30 for r in sql)
    assert all(r["provider name"] and r["average covered charges"].startswith("$3") for r in sql)


def test_data_cleaning_and_lambda_nests_and_converts(lake: Lake) -> None:
    # aws-glue-samples' data_cleaning_and_lambda.py, after the same crawl.
    _medicare(lake)
    _ok(lake.run("data_cleaning_and_lambda.py"))
    rows = lake.parquet("glue-sample-target", "output-dir/medicare_parquet/")
    assert len(rows) == 1000  # the two text provider ids were cast to null and filtered out
    first = next(r for r in rows if r["provider"]["id"] == 10001)
    assert first["provider"] == {
        "id": 10001,
        "name": "HOSPITAL 0",
        "city": "DOTHAN",
        "state": "AL",
        "zip": 36301,
    }
    assert first["charges"] == {"covered": 30963.07, "total_pay": 50777.24, "medicare_pay": 40763.7}
    assert first["drg"].startswith("039") and first["rr"] == "AL - Dothan"


def test_etl_orchestrator_sales_marketing_join(lake: Lake) -> None:
    # aws-etl-orchestrator's three Glue scripts, chained as its Step Functions state machine runs them.
    lake.land("etl-orchestrator", "sales/sales.csv", INPUTS / "sales" / "sales.csv")
    lake.land("etl-orchestrator", "marketing/marketing.csv", INPUTS / "marketing" / "marketing.csv")
    lake.crawl("orchestrator", "orchestrator", "s3://etl-orchestrator/sales/")
    lake.crawl("orchestrator_mktg", "orchestrator", "s3://etl-orchestrator/marketing/")
    bucket = "s3://etl-orchestrator"
    _ok(
        lake.run(
            "process_sales_data.py",
            s3_output_path=f"{bucket}/out/sales",
            database_name="orchestrator",
            table_name="sales",
        )
    )
    sales = lake.parquet("etl-orchestrator", "out/sales/")
    assert sorted((r["date"], r["leads_generated"], r["forecasted_lead_revenue"]) for r in sales) == [
        ("2017-01-01", 2, 3500),
        ("2017-01-02", 1, 1500),
        ("2017-01-03", 1, 3000),
    ]
    _ok(
        lake.run(
            "process_marketing_data.py",
            s3_output_path=f"{bucket}/out/marketing",
            database_name="orchestrator",
            table_name="marketing",
        )
    )
    marketing = lake.parquet("etl-orchestrator", "out/marketing/")
    assert {r["date"]: r["new_visitors_seo"] for r in marketing} == {
        "2017-01-01": 120,
        "2017-01-02": 98,
        "2017-01-03": 143,
        "2017-01-04": 110,
    }
    _ok(
        lake.run(
            "join_marketing_and_sales_data.py",
            s3_output_path=f"{bucket}/out/joined",
            s3_sales_data_path=f"{bucket}/out/sales",
            s3_marketing_data_path=f"{bucket}/out/marketing",
        )
    )
    joined = lake.csv_rows("etl-orchestrator", "out/joined/")
    assert [(r["date"], r["leads_generated"], r["return_visitors"]) for r in joined] == [
        ("2017-01-01", "2", "250"),
        ("2017-01-02", "1", "231"),
        ("2017-01-03", "1", "266"),
    ]


def test_flight_etl_on_glue_4(lake: Lake) -> None:
    # awsdocs' flight_etl_job_script.py (the SDK's "getting started with crawlers and jobs" scenario),
    # as a Glue 4.0 job: ApplyMapping to tinyint and renames, written as JSON.
    lake.land("flight-data", "flight/2016/csv/flights.csv", INPUTS / "flights" / "flights.csv")
    lake.crawl("flights", "flight_db", "s3://flight-data/flight/2016/csv/")
    run = lake.run(
        "flight_etl_job_script.py",
        "4.0",
        input_database="flight_db",
        input_table="csv",
        output_bucket_url="s3://flight-data/revised/",
    )
    _ok(run)
    rows = sorted(lake.json_lines("flight-data", "revised/"), key=lambda r: r["flight_num"])
    assert rows[0] == {
        "year": 2016,
        "month": 2,
        "day": 7,
        "flight_date": "2016-02-07",
        "carrier": "UA",
        "flight_num": 303,
        "origin_city_name": "Chicago, IL",
        "origin_state_abr": "IL",
        "dest_city_name": "San Francisco, CA",
        "dest_state_abr": "CA",
        "departure_time": 1745,
        "wheels_off": 1801,
        "wheels_on": 2003,
        "arrival_time": 2019,
        "mon": "February",
    }
    assert len(rows) == 3


def test_blueprint_conversion_and_partitioning_update_the_catalog(lake: Lake) -> None:
    # aws-glue-blueprint-libs' conversion and partitioning samples: a crawled JSON table (camelCase keys,
    # a column of numbers and text) to glueparquet through a catalog-updating sink.
    lake.land("blueprints", "tmp/events/region=eu/events.json", INPUTS / "events" / "events.json")
    lake.land("blueprints", "tmp/orders/orders.json", INPUTS / "orders" / "orders.json")
    tables = lake.crawl("blueprints", "bp", "s3://blueprints/tmp/")
    assert [k["Name"] for k in tables["events"]["PartitionKeys"]] == ["region"]
    _ok(
        lake.run(
            "blueprint_conversion.py",
            output_database="bp",
            tmp_table="events",
            output_table="events_parquet",
            output_path="s3://blueprints/out/events/",
        )
    )
    table = lake.glue.get_table(DatabaseName="bp", Name="events_parquet")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["region"]
    rows = sorted(lake.parquet("blueprints", "out/events/region=eu/"), key=lambda r: r["event_id"])
    # schema-on-read: the records' own camelCase key keeps its values; the choice is a struct of members
    assert [r["userName"] for r in rows] == ["ann", "bob", "cy"]
    assert [r["amount"] for r in rows] == [
        {"int": 10, "string": None},
        {"int": None, "string": "twelve"},
        {"int": 7, "string": None},
    ]
    _ok(
        lake.run(
            "blueprint_partitioning.py",
            output_database="bp",
            tmp_table="orders",
            output_table="orders_by_month",
            output_path="s3://blueprints/out/orders/",
            timestamp_column_name="ordered_at",
            timestamp_column_granularity="month",
        )
    )
    table = lake.glue.get_table(DatabaseName="bp", Name="orders_by_month")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month"]
    folders = {
        "/".join(k.split("/")[2:4]) for k in lake.keys("blueprints", "out/orders/") if k.endswith(".parquet")
    }
    assert folders == {"year=2021/month=3", "year=2021/month=4"}
    march = lake.parquet("blueprints", "out/orders/year=2021/month=3/")
    assert sorted((r["customerName"], r["total"]) for r in march) == [
        ("Ann", 10.5),
        ("Bob", 3.25),
    ]


def test_blueprint_encoding_reads_cp932(lake: Lake) -> None:
    # aws-glue-blueprint-libs' encoding sample: Spark's CSV reader with a character set, written back.
    lake.land("blueprints", "encoding/in/people.csv", INPUTS / "encoding" / "people.csv")
    _ok(
        lake.run(
            "blueprint_encoding.py",
            input_path="s3://blueprints/encoding/in/",
            input_format="csv",
            input_encoding="CP932",
            output_path="s3://blueprints/encoding/out/",
        )
    )
    bodies = [
        lake.s3.get_object(Bucket="blueprints", Key=k)["Body"].read().decode()
        for k in lake.keys("blueprints", "encoding/out/")
        if k.endswith(".csv")
    ]
    assert sorted(line for body in bodies for line in body.splitlines()) == [
        "name,city",
        "佐藤,大阪",
        "山田,東京",
    ]


def test_unit_testing_sample_is_refused_naming_purge_s3_path(lake: Lake) -> None:
    # aws-glue-samples' GlueUnitTestingLocalSample script: purge_s3_path is not implemented locally.
    lake.land("somebucket", "somepath/data.csv", b"a,b\n1,2\n")
    run = lake.run("glue_unit_testing_my_script.py")
    assert run["JobRunState"] == "FAILED"
    assert "GlueContext.purge_s3_path" in run["ErrorMessage"].splitlines()[0], run["ErrorMessage"]
