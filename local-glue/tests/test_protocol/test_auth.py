"""The local Glue's front door: SigV4 signatures, browser origins and form posts, over HTTP.

Signature Version 4 (header and presigned URL):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
S3's errors (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied: 403):
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
JSON services' errors (InvalidSignatureException, UnrecognizedClientException, MissingAuthenticationToken):
https://docs.aws.amazon.com/glue/latest/dg/CommonErrors.html
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from local_glue_support import wait_for_run

from glue_flow_local import LocalGlueProcess, LocalGlueServer
from glue_flow_local.clients import local_client
from glue_flow_local.settings import Credentials, ServerOptions

pytestmark = pytest.mark.slow


def _client(
    glue: LocalGlueProcess, service: str, key: str = "testing", secret: str = "testing", **config: Any
) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=glue.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_wrong_secret_is_refused_by_every_service(local_glue: LocalGlueProcess, bucket: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        _client(local_glue, "s3", secret="wrong").get_object(Bucket=bucket, Key="a")
    assert _code(excinfo) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(ClientError) as excinfo:
        _client(local_glue, "glue", secret="wrong").get_databases()
    assert _code(excinfo) == ("InvalidSignatureException", 403)
    with pytest.raises(ClientError) as excinfo:
        _client(local_glue, "logs", secret="wrong").describe_log_groups()
    assert _code(excinfo) == ("InvalidSignatureException", 403)


def test_an_unknown_access_key_is_refused(local_glue: LocalGlueProcess, bucket: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        _client(local_glue, "s3", key="AKIDSOMEONEELSE").list_objects_v2(Bucket=bucket)
    assert _code(excinfo) == ("InvalidAccessKeyId", 403)
    with pytest.raises(ClientError) as excinfo:
        _client(local_glue, "glue", key="AKIDSOMEONEELSE").get_jobs()
    assert _code(excinfo)[0] == "UnrecognizedClientException"


def test_unsigned_requests_are_refused(local_glue: LocalGlueProcess, bucket: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        _client(local_glue, "s3", signature_version=UNSIGNED).list_objects_v2(Bucket=bucket)
    assert _code(excinfo) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as excinfo:
        _client(local_glue, "glue", signature_version=UNSIGNED).get_jobs()
    assert _code(excinfo) == ("MissingAuthenticationTokenException", 403)


def test_keys_and_queries_with_special_characters_sign_correctly(s3_client: Any, bucket: str) -> None:
    key = "dir one/a b+c=ü&%2F.csv"
    s3_client.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"x"
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="dir one/a b+", Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == [key]


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_presigned_urls_work_until_they_expire_and_cannot_be_altered(
    local_glue: LocalGlueProcess, bucket: str, signature_version: str
) -> None:
    """boto3 presigns S3 URLs with Signature Version 2 unless told ``s3v4``; S3 accepts both.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html#RESTAuthenticationQueryStringAuth
    """
    s3 = _client(local_glue, "s3", signature_version=signature_version)
    s3.put_object(Bucket=bucket, Key="a.csv", Body=b"data")
    params = {"Bucket": bucket, "Key": "a.csv"}
    url = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    assert requests.get(url, timeout=10).content == b"data"
    put_url = s3.generate_presigned_url("put_object", Params={**params, "Key": "b.csv"}, ExpiresIn=60)
    assert requests.put(put_url, data=b"up", timeout=10).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="b.csv")["Body"].read() == b"up"
    altered = requests.get(url.replace("a.csv", "b.csv"), timeout=10)
    assert altered.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in altered.content
    short = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=1)
    time.sleep(2.5)
    expired = requests.get(short, timeout=10)
    assert expired.status_code == 403
    assert b"Request has expired" in expired.content


def test_a_browser_page_cannot_create_and_run_a_job(local_glue: LocalGlueProcess, glue_client: Any) -> None:
    """The attack: a page posts CreateJob with a made-up signature; CORS must not let it read answers."""
    name = f"evil_{uuid.uuid4().hex[:8]}"
    forged = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSGlue.CreateJob",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/glue/aws4_request, "
        "SignedHeaders=host, Signature=" + "0" * 64,
    }
    body = json.dumps(
        {"Name": name, "Role": "r", "Command": {"Name": "pythonshell", "ScriptLocation": "s3://x/y.py"}}
    )
    for headers in ({**forged, "Origin": "http://evil.example"}, forged):
        answer = requests.post(local_glue.endpoint_url, data=body, headers=headers, timeout=10)
        assert answer.status_code in (400, 403)
        assert "access-control-allow-origin" not in {h.lower() for h in answer.headers}
    preflight = requests.options(
        local_glue.endpoint_url,
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in {h.lower() for h in preflight.headers}
    with pytest.raises(ClientError) as excinfo:
        glue_client.get_job(JobName=name)
    assert _code(excinfo)[0] == "EntityNotFoundException"


def test_a_signed_request_from_a_foreign_origin_is_refused(local_glue: LocalGlueProcess, bucket: str) -> None:
    s3 = _client(local_glue, "s3")
    s3.meta.events.register(
        "before-sign.s3.*", lambda request, **_: request.headers.add_header("Origin", "http://x.test")
    )
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects_v2(Bucket=bucket)
    assert _code(excinfo) == ("AccessForbidden", 403)


def test_an_unsigned_form_upload_is_refused(
    local_glue: LocalGlueProcess, s3_client: Any, bucket: str
) -> None:
    answer = requests.post(
        f"{local_glue.endpoint_url}/{bucket}",
        files={"key": (None, "dropped.py"), "file": ("dropped.py", b"print('owned')")},
        timeout=10,
    )
    assert answer.status_code == 403
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_works_with_the_default_credentials(
    local_glue: LocalGlueProcess, bucket: str, tmp_path: Any
) -> None:
    source = tmp_path / "a.txt"
    source.write_text("from the cli")
    env = {
        "PATH": "/usr/bin:/bin:" + str(shutil.which("aws")).rsplit("/", 1)[0],
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    base = ["aws", "--endpoint-url", local_glue.endpoint_url]
    subprocess.run([*base, "s3", "cp", str(source), f"s3://{bucket}/a.txt"], check=True, env=env, timeout=120)
    listed = subprocess.run(
        [*base, "glue", "get-databases"], check=True, env=env, capture_output=True, text=True, timeout=120
    )
    assert "DatabaseList" in listed.stdout
    env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    refused = subprocess.run(
        [*base, "s3", "ls", f"s3://{bucket}/"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0
    assert "SignatureDoesNotMatch" in refused.stderr


@pytest.fixture
def custom_server() -> Iterator[LocalGlueServer]:
    """An in-thread server with its own credentials and one allowed browser origin."""
    options = ServerOptions(
        credentials=Credentials("AKIDLOCALTEST", "local-secret"), allowed_origins=("http://localhost:3000",)
    )
    server = LocalGlueServer(options=options).start()
    try:
        yield server
    finally:
        server.stop()


def test_configured_credentials_reach_job_runs_and_replace_the_defaults(
    custom_server: LocalGlueServer,
) -> None:
    credentials = custom_server.settings.credentials
    s3 = local_client(custom_server.endpoint_url, "s3", "us-east-1", credentials)
    glue = local_client(custom_server.endpoint_url, "glue", "us-east-1", credentials)
    with pytest.raises(ClientError) as excinfo:
        local_client(custom_server.endpoint_url, "s3", "us-east-1").list_buckets()
    assert _code(excinfo) == ("InvalidAccessKeyId", 403)
    s3.create_bucket(Bucket="creds-bucket")
    script = (
        b"import boto3\nboto3.client('s3').put_object(Bucket='creds-bucket', Key='from-job', Body=b'ok')\n"
    )
    s3.put_object(Bucket="creds-bucket", Key="job.py", Body=script)
    glue.create_job(
        Name="creds_job",
        Role="r",
        Command={"Name": "pythonshell", "ScriptLocation": "s3://creds-bucket/job.py"},
    )
    run = wait_for_run(glue, "creds_job", glue.start_job_run(JobName="creds_job")["JobRunId"])
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert s3.get_object(Bucket="creds-bucket", Key="from-job")["Body"].read() == b"ok"


def test_an_allowed_origin_gets_cors_for_itself_only(custom_server: LocalGlueServer) -> None:
    url = custom_server.endpoint_url
    preflight = requests.options(
        f"{url}/some-bucket",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT"},
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    s3 = local_client(url, "s3", "us-east-1", custom_server.settings.credentials)
    s3.meta.events.register(
        "before-sign.s3.*", lambda request, **_: request.headers.add_header("Origin", "http://localhost:3000")
    )
    answer = s3.list_buckets()
    assert answer["ResponseMetadata"]["HTTPHeaders"]["access-control-allow-origin"] == "http://localhost:3000"
