"""What a Spark run needs from the machine, and its Spark configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from glue_flow_local.glue.jobs.spark import runtime as spark_jobs
from glue_flow_local.glue.jobs.spark.runtime import SparkRunError, check_runtime, conf_pairs, spark_defaults


def test_no_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(spark_jobs, "pyspark_version", lambda: "3.5.9")
    with pytest.raises(SparkRunError, match=r"found no Java .* apt-get install openjdk-17-jre-headless"):
        check_runtime("etl", "5.0")


def test_no_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark_jobs, "pyspark_version", lambda: None)
    with pytest.raises(SparkRunError, match=r"pip install 'glue-flow-local\[spark\]'"):
        check_runtime("etl", "5.0")


def test_glue_versions_without_local_spark_are_refused() -> None:
    with pytest.raises(
        SparkRunError, match=r"GlueVersion 3.0: the local Glue runs Spark jobs of GlueVersion 4.0 and 5.0"
    ):
        check_runtime("etl", "3.0")


def test_conf_argument_is_split_into_properties() -> None:
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html (--conf)
    assert conf_pairs("spark.sql.shuffle.partitions=4 --conf spark.x.y=a=b") == {
        "spark.sql.shuffle.partitions": "4",
        "spark.x.y": "a=b",
    }
    with pytest.raises(SparkRunError, match="key=value"):
        conf_pairs("nonsense")


def test_spark_defaults_map_each_bucket_and_honour_conf_and_jars(tmp_path: Path) -> None:
    conf = spark_defaults(
        tmp_path, tmp_path / "s3", ["b1"], {"--conf": "spark.sql.shuffle.partitions=3"}, [tmp_path / "x.jar"]
    )
    assert conf["spark.hadoop.fs.s3.impl"] == "org.apache.hadoop.fs.viewfs.ViewFileSystemOverloadScheme"
    assert conf["spark.hadoop.fs.viewfs.mounttable.b1.linkFallback"] == (tmp_path / "s3" / "b1").as_uri()
    assert conf["spark.sql.shuffle.partitions"] == "3"
    assert conf["spark.jars"] == str(tmp_path / "x.jar")


def test_spark_defaults_enable_hive_support_with_the_data_catalog_only(tmp_path: Path) -> None:
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-data-catalog-hive.html:
    # --enable-glue-datacatalog "also enables Hive support in the SparkSession object".
    with_catalog = spark_defaults(tmp_path, tmp_path / "s3", [], {"--enable-glue-datacatalog": ""}, [])
    assert with_catalog["spark.sql.catalogImplementation"] == "hive"
    # Hive's scratch folders stay in the run's folder, which is removed when the run ends.
    assert all(
        with_catalog[f"spark.hadoop.hive.{name}"].startswith(str(tmp_path))
        for name in ("exec.scratchdir", "exec.local.scratchdir", "downloaded.resources.dir")
    )
    assert "spark.sql.catalogImplementation" not in spark_defaults(tmp_path, tmp_path / "s3", [], {}, [])


def test_spark_defaults_keep_the_jvms_temporary_files_in_the_run_folder(tmp_path: Path) -> None:
    conf = spark_defaults(tmp_path, tmp_path / "s3", [], {}, [])
    for key in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        options = conf[key].split()
        assert f"-Djava.io.tmpdir={tmp_path / 'tmp'}" in options and "-XX:-UsePerfData" in options, conf[key]
    assert conf["spark.local.dir"] == str(tmp_path / "spark-tmp")


def test_a_jobs_own_java_options_come_after_the_runs(tmp_path: Path) -> None:
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html (--conf)
    conf = spark_defaults(
        tmp_path, tmp_path / "s3", [], {"--conf": "spark.driver.extraJavaOptions=-Duser.timezone=UTC"}, []
    )
    options = conf["spark.driver.extraJavaOptions"].split()
    assert options[-1] == "-Duser.timezone=UTC"
    assert f"-Djava.io.tmpdir={tmp_path / 'tmp'}" in options
