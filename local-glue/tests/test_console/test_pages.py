"""The local Glue's read-only console, opened in headless Chromium as a user's browser would."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from typing import Any

import pytest
from local_glue_support import SEED_CSV_PATH, wait_for_crawl, wait_for_run

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FAILING_SCRIPT = b'print("<b>not bold</b> & done", flush=True)\nraise RuntimeError("<script>boom</script>")\n'


def browse(url: str) -> str:
    """The page's DOM after Chromium loaded and rendered it."""
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `python3 scripts/dev.py test` installs Debian's chromium")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def flow(local_glue: Any) -> dict[str, Any]:
    """A crawled table, a job with a failed run whose log and error carry markup."""
    glue, s3 = local_glue.client("glue"), local_glue.client("s3")
    bucket = "console-test"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="in0/csvlog.csv", Body=SEED_CSV_PATH.read_bytes())
    s3.put_object(Bucket=bucket, Key="scripts/fail.py", Body=FAILING_SCRIPT)
    glue.create_database(DatabaseInput={"Name": "console_db"})
    glue.create_crawler(
        Name="console_crawler",
        Role="glue",
        DatabaseName="console_db",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/in0/"}]},
    )
    glue.start_crawler(Name="console_crawler")
    wait_for_crawl(glue, "console_crawler")
    glue.create_job(
        Name="console_job",
        Role="glue",
        Command={
            "Name": "pythonshell",
            "ScriptLocation": f"s3://{bucket}/scripts/fail.py",
            "PythonVersion": "3.9",
        },
        MaxCapacity=0.0625,
    )
    run_id = glue.start_job_run(JobName="console_job")["JobRunId"]
    wait_for_run(glue, "console_job", run_id)
    table = glue.get_tables(DatabaseName="console_db")["TableList"][0]["Name"]
    return {"base": f"{local_glue.endpoint_url}/_console", "run_id": run_id, "table": table}


def test_index_lists_crawlers_jobs_and_tables(flow):
    page = browse(f"{flow['base']}/?region=us-east-1")
    assert "console_crawler" in page and "console_job" in page and flow["table"] in page
    assert 'href="/_console/jobs/console_job?region=us-east-1"' in page


def test_crawler_page_shows_its_last_crawl(flow):
    page = browse(f"{flow['base']}/crawlers/console_crawler?region=us-east-1")
    assert "Crawler console_crawler" in page
    assert "SUCCEEDED" in page and "console_db" in page


def test_job_page_lists_its_runs_with_state_and_error(flow):
    page = browse(f"{flow['base']}/jobs/console_job?region=us-east-1")
    assert flow["run_id"] in page and "FAILED" in page
    assert "RuntimeError: &lt;script&gt;boom&lt;/script&gt;" in page


def test_run_page_shows_its_log_lines_escaped(flow):
    page = browse(f"{flow['base']}/jobs/console_job/runs/{flow['run_id']}?region=us-east-1")
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; done" in page
    assert "<script>" not in page and "<b>" not in page  # log content is text, never markup


def test_table_page_shows_the_schema_the_crawler_inferred(flow):
    page = browse(f"{flow['base']}/tables/console_db/{flow['table']}?region=us-east-1")
    assert "deviceid" in page and "bigint" in page and "s3://console-test/in0/" in page


def test_unknown_job_is_a_404_and_writes_are_refused(flow):
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{flow['base']}/jobs/no_such_job?region=us-east-1")
    assert missing.value.code == 404
    request = urllib.request.Request(f"{flow['base']}/?region=us-east-1", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as post:
        urllib.request.urlopen(request)
    assert post.value.code == 405
