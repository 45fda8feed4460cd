"""S3 event notifications to SQS, from the local Glue, as Amazon S3 sends them.

The configuration and its checks (destinations validated before anything is stored, filter rules,
overlapping configurations):
https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
The queue policy S3 needs: https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
FIFO queues are not supported as destinations: https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
The message (Records[], URL-encoded key, sequencer, s3:TestEvent):
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from glue_flow_local import LocalGlueProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def sqs(local_glue: LocalGlueProcess) -> Any:
    return local_glue.client("sqs")


def _queue(sqs: Any, bucket: str | None, *, fifo: bool = False) -> tuple[str, str]:
    """A new queue (url, arn); its policy lets S3 send from ``bucket`` (no policy when None)."""
    name = f"events-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if bucket is not None:
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
        }
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def _config(arn: str, events: list[str], **rules: str) -> dict[str, Any]:
    config: dict[str, Any] = {"QueueArn": arn, "Events": events}
    if rules:
        config["Filter"] = {"Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in rules.items()]}}
    return config


def _notify(s3: Any, bucket: str, *configs: dict[str, Any]) -> None:
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": list(configs)}
    )


def _messages(sqs: Any, url: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Receive and delete ``count`` messages (then check for one more), as parsed JSON bodies."""
    bodies: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wait = 1 if len(bodies) >= count else 2
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get(
            "Messages", []
        )
        for message in batch:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(bodies) >= count and not batch:
            break
    assert len(bodies) == count, bodies
    return bodies


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> dict[str, Any]:
    return excinfo.value.response["Error"]


def test_configuring_sends_the_test_event_and_stores_the_configuration(s3_client, sqs, bucket):
    url, arn = _queue(sqs, bucket)
    _notify(s3_client, bucket, _config(arn, ["s3:ObjectCreated:*"], prefix="raw/", suffix=".csv"))

    (test_event,) = _messages(sqs, url, 1)
    assert test_event["Service"] == "Amazon S3"
    assert test_event["Event"] == "s3:TestEvent"
    assert test_event["Bucket"] == bucket
    assert test_event["RequestId"] and test_event["HostId"] and test_event["Time"].endswith("Z")
    (stored,) = s3_client.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert stored["QueueArn"] == arn
    assert stored["Events"] == ["s3:ObjectCreated:*"]
    rules = {r["Name"]: r["Value"] for r in stored["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "raw/", "suffix": ".csv"}


def test_put_object_sends_s3s_event_message(s3_client, sqs, bucket):
    url, arn = _queue(sqs, bucket)
    _notify(s3_client, bucket, _config(arn, ["s3:ObjectCreated:*"], prefix="raw/"))
    _messages(sqs, url, 1)  # the test event
    key = "raw/year=2024/売上 1.csv"

    put = s3_client.put_object(Bucket=bucket, Key=key, Body=b"a,b\n1,2\n")

    (message,) = _messages(sqs, url, 1)
    (record,) = message["Records"]
    assert record["eventVersion"].split(".")[0] == "2"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventName"] == "ObjectCreated:Put"
    # The key is URL-encoded as a form value: space -> "+", "=" and non-ASCII percent-encoded.
    assert record["s3"]["object"]["key"] == "raw/year%3D2024/%E5%A3%B2%E4%B8%8A+1.csv"
    assert record["s3"]["object"]["size"] == 8
    assert record["s3"]["object"]["eTag"] == put["ETag"].strip('"')
    assert int(record["s3"]["object"]["sequencer"], 16) > 0
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert record["s3"]["configurationId"]
    # The same request id S3 answered the PUT with.
    headers = put["ResponseMetadata"]["HTTPHeaders"]
    assert record["responseElements"]["x-amz-request-id"] == headers["x-amz-request-id"]
    assert record["responseElements"]["x-amz-id-2"] == headers["x-amz-id-2"]
    assert record["userIdentity"]["principalId"]
    assert record["requestParameters"]["sourceIPAddress"] == "127.0.0.1"


def test_copy_and_multipart_uploads_are_their_own_event_types(s3_client, sqs, bucket):
    url, arn = _queue(sqs, bucket)
    _notify(s3_client, bucket, _config(arn, ["s3:ObjectCreated:*"], prefix="raw/"))
    _messages(sqs, url, 1)
    s3_client.put_object(Bucket=bucket, Key="staging/a.csv", Body=b"x")  # outside the prefix: no event
    s3_client.copy_object(
        Bucket=bucket, Key="raw/copied.csv", CopySource={"Bucket": bucket, "Key": "staging/a.csv"}
    )
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="raw/big.csv")["UploadId"]
    part = s3_client.upload_part(
        Bucket=bucket, Key="raw/big.csv", UploadId=upload, PartNumber=1, Body=b"y" * 10
    )
    s3_client.complete_multipart_upload(
        Bucket=bucket,
        Key="raw/big.csv",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )

    records = [m["Records"][0] for m in _messages(sqs, url, 2)]
    names = {r["s3"]["object"]["key"]: r["eventName"] for r in records}
    assert names == {
        "raw/copied.csv": "ObjectCreated:Copy",
        "raw/big.csv": "ObjectCreated:CompleteMultipartUpload",
    }


def test_filters_and_event_types_select_what_is_sent(s3_client, sqs, bucket):
    url, arn = _queue(sqs, bucket)
    _notify(s3_client, bucket, _config(arn, ["s3:ObjectCreated:Put"], prefix="raw/", suffix=".csv"))
    _messages(sqs, url, 1)

    s3_client.put_object(Bucket=bucket, Key="raw/a.txt", Body=b"x")  # suffix does not match
    s3_client.put_object(Bucket=bucket, Key="other/a.csv", Body=b"x")  # prefix does not match
    s3_client.copy_object(
        Bucket=bucket, Key="raw/c.csv", CopySource={"Bucket": bucket, "Key": "raw/a.txt"}
    )  # Copy
    s3_client.put_object(Bucket=bucket, Key="raw/b.csv", Body=b"x")

    (message,) = _messages(sqs, url, 1)
    assert message["Records"][0]["s3"]["object"]["key"] == "raw/b.csv"


def test_a_later_write_of_the_same_key_has_a_greater_sequencer(s3_client, sqs, bucket):
    url, arn = _queue(sqs, bucket)
    _notify(s3_client, bucket, _config(arn, ["s3:ObjectCreated:*"]))
    _messages(sqs, url, 1)
    s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"1")
    s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"2")

    first, second = (m["Records"][0]["s3"]["object"] for m in _messages(sqs, url, 2))
    # Compare as S3 says: left-pad the shorter with zeros, then compare as strings.
    width = max(len(first["sequencer"]), len(second["sequencer"]))
    later = max((first, second), key=lambda o: o["sequencer"].rjust(width, "0"))
    assert later["eTag"] == s3_client.head_object(Bucket=bucket, Key="a.csv")["ETag"].strip('"')
    assert first["eTag"] != second["eTag"]


@pytest.mark.parametrize("problem", ["missing", "no policy", "other bucket", "fifo"])
def test_a_queue_s3_cannot_send_to_is_refused_and_nothing_is_stored(s3_client, sqs, bucket, problem):
    if problem == "missing":
        arn, reason = "arn:aws:sqs:us-east-1:123456789012:no-such-queue", "does not exist"
    elif problem == "fifo":
        arn, reason = _queue(sqs, bucket, fifo=True)[1], "FIFO"
    else:
        arn = _queue(sqs, None if problem == "no policy" else "another-bucket")[1]
        reason = (
            "Permissions on the destination queue do not allow S3 to publish notifications from this bucket"
        )

    with pytest.raises(ClientError) as excinfo:
        _notify(s3_client, bucket, _config(arn, ["s3:ObjectCreated:*"]))

    error = _error(excinfo)
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert error["ArgumentName1"] == arn
    assert reason in error["ArgumentValue1"]
    assert "QueueConfigurations" not in s3_client.get_bucket_notification_configuration(Bucket=bucket)


def test_overlapping_configurations_and_bad_filter_rules_are_refused(s3_client, sqs, bucket):
    _, arn = _queue(sqs, bucket)
    with pytest.raises(ClientError) as excinfo:
        _notify(
            s3_client,
            bucket,
            _config(arn, ["s3:ObjectCreated:*"], prefix="raw/"),
            _config(arn, ["s3:ObjectCreated:Put"], prefix="raw/in/"),
        )
    assert _error(excinfo)["Code"] == "InvalidArgument"
    assert _error(excinfo)["Message"].startswith("Configurations overlap.")

    # Different suffixes never match the same key: no overlap.
    _notify(
        s3_client,
        bucket,
        _config(arn, ["s3:ObjectCreated:*"], prefix="raw/", suffix=".csv"),
        _config(arn, ["s3:ObjectCreated:Put"], prefix="raw/", suffix=".json"),
    )
    assert len(s3_client.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]) == 2


def test_destinations_other_than_sqs_are_refused_by_name(s3_client, bucket):
    topic = {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Events": ["s3:ObjectCreated:*"]}
    with pytest.raises(ClientError) as excinfo:
        s3_client.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"TopicConfigurations": [topic]}
        )
    assert _error(excinfo)["Code"] == "NotImplemented"
    assert "Amazon SQS queues and Amazon EventBridge only" in _error(excinfo)["Message"]
    assert "SNS" in _error(excinfo)["Message"]
