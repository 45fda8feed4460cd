"""CloudWatch Logs pages of the local Glue: at most 1 MB or 10,000 events (or ``limit``), with tokens.

AWS facts these tests rely on:
- GetLogEvents "returns as many log events as can fit in a response size of 1MB (up to 10,000 log
  events)"; at the end of the stream "it returns the same token you passed in":
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
- FilterLogEvents "returns as many log events as can fit in 1 MB (up to 10,000 log events)", with
  ``nextToken`` while more remain:
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
- An event counts as its UTF-8 message plus 26 bytes:
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
"""

from __future__ import annotations

import time
from typing import Any

import pytest

pytestmark = pytest.mark.slow

MB = 1_048_576


def _size(events: list[dict[str, Any]]) -> int:
    return sum(len(e["message"].encode()) + 26 for e in events)


def _stream(logs: Any, group: str, stream: str, messages: list[str]) -> None:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    batch: list[dict[str, Any]] = []
    size = 0  # _size(batch), kept as the batch grows
    for index, message in enumerate(messages):
        event = {"timestamp": now + index, "message": message}
        if batch and (len(batch) == 10_000 or size + _size([event]) > 900_000):
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
            batch, size = [], 0
        batch.append(event)
        size += _size([event])
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


def _forward_pages(logs: Any, **kwargs: Any) -> list[list[str]]:
    pages, token = [], None
    while True:
        answer = logs.get_log_events(**kwargs, startFromHead=True, **({"nextToken": token} if token else {}))
        if answer["nextForwardToken"] == token:
            assert answer["events"] == []
            return pages
        pages.append([e["message"] for e in answer["events"]])
        token = answer["nextForwardToken"]


@pytest.fixture
def big_stream(logs_client, unique) -> tuple[str, str, list[str]]:
    """A stream of 300 events of 8 KB (about 2.4 MB)."""
    group, stream = f"/test/{unique('group')}", "run"
    messages = [f"{index:05d} " + "x" * 8_000 for index in range(300)]
    _stream(logs_client, group, stream, messages)
    return group, stream, messages


def test_get_log_events_pages_at_1_mb_forward(logs_client, big_stream):
    group, stream, messages = big_stream

    pages = _forward_pages(logs_client, logGroupName=group, logStreamName=stream)

    assert len(pages) == 3
    assert [m for page in pages for m in page] == messages
    assert all(_size([{"message": m} for m in page]) <= MB for page in pages)


def test_get_log_events_pages_at_1_mb_backward_from_the_tail(logs_client, big_stream):
    group, stream, messages = big_stream

    newest = logs_client.get_log_events(logGroupName=group, logStreamName=stream)
    older = logs_client.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=newest["nextBackwardToken"]
    )

    first_page = [e["message"] for e in newest["events"]]
    second_page = [e["message"] for e in older["events"]]
    assert _size(newest["events"]) <= MB
    assert first_page == messages[-len(first_page) :]
    assert second_page == messages[-len(first_page) - len(second_page) : -len(first_page)]


def test_filter_log_events_pages_at_1_mb_with_next_token(logs_client, big_stream):
    group, _, messages = big_stream

    seen, kwargs, pages = [], {"logGroupName": group}, 0
    while True:
        answer = logs_client.filter_log_events(**kwargs)
        assert _size(answer["events"]) <= MB
        seen += [e["message"] for e in answer["events"]]
        pages += 1
        if "nextToken" not in answer:
            break
        kwargs["nextToken"] = answer["nextToken"]

    assert pages == 3
    assert seen == messages


def test_more_than_10000_events_page_at_10000_and_by_limit(logs_client, unique):
    group, stream = f"/test/{unique('group')}", "run"
    messages = [f"line {index}" for index in range(12_345)]
    _stream(logs_client, group, stream, messages)

    pages = _forward_pages(logs_client, logGroupName=group, logStreamName=stream)
    limited = _forward_pages(logs_client, logGroupName=group, logStreamName=stream, limit=5_000)
    filtered = logs_client.get_paginator("filter_log_events").paginate(logGroupName=group, limit=4_000)

    assert [len(page) for page in pages] == [10_000, 2_345]
    assert [len(page) for page in limited] == [5_000, 5_000, 2_345]
    assert [m for page in limited for m in page] == messages
    filtered_pages = [[e["message"] for e in page["events"]] for page in filtered]
    assert [len(page) for page in filtered_pages] == [4_000, 4_000, 4_000, 345]
    assert [m for page in filtered_pages for m in page] == messages
