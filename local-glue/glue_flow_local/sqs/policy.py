"""Does an SQS queue policy let Amazon S3 send a bucket's event notifications? (IAM evaluation, narrowed).

S3 checks this when a bucket's notification configuration names the queue: the queue policy must allow
the service principal ``s3.amazonaws.com`` the action ``sqs:SendMessage`` on the queue, and no statement
may deny it. S3 sends such a message with the request context keys ``aws:SourceArn`` (the bucket ARN)
and ``aws:SourceAccount`` (the bucket owner's account), which the usual policies condition on. A
condition on any other key, or with an operator this module does not evaluate, is refused with
:class:`UnsupportedPolicy` naming it, never guessed.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from typing import Any

S3_PRINCIPAL = "s3.amazonaws.com"
SEND_MESSAGE = "sqs:SendMessage"
#: Condition operators evaluated here; ``...IfExists`` forms and ``Not...`` forms too.
_OPERATORS = {"StringEquals", "StringLike", "ArnEquals", "ArnLike"}


class UnsupportedPolicy(Exception):
    """A queue policy element the local Glue does not evaluate (the message names it)."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str) -> bool:
    """IAM's ``*`` / ``?`` wildcards, case-sensitive (fnmatch would also read ``[...]``)."""
    escaped = pattern.replace("[", "[[]")
    return fnmatch.fnmatchcase(value, escaped)


def _principal_matches(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy("the local Glue does not evaluate NotPrincipal in queue policies")
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if "*" in _as_list(principal.get("AWS", [])):
        return True
    return S3_PRINCIPAL in _as_list(principal.get("Service", []))


def _action_matches(statement: dict[str, Any]) -> bool:
    if "NotAction" in statement:
        return not any(_like(a.lower(), SEND_MESSAGE.lower()) for a in _as_list(statement["NotAction"]))
    return any(_like(a.lower(), SEND_MESSAGE.lower()) for a in _as_list(statement.get("Action", [])))


def _resource_matches(statement: dict[str, Any], queue_arn: str) -> bool:
    if "NotResource" in statement:
        return not any(_like(r, queue_arn) for r in _as_list(statement["NotResource"]))
    # A queue policy without Resource applies to its own queue.
    return any(_like(r, queue_arn) for r in _as_list(statement.get("Resource", queue_arn)))


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        base = operator.removesuffix("IfExists")
        negated = base.startswith(("StringNot", "ArnNot"))
        positive = base.replace("StringNot", "String").replace("ArnNot", "Arn")
        if positive not in _OPERATORS:
            raise UnsupportedPolicy(f"the local Glue does not evaluate the condition operator {operator}")
        for key, expected in tests.items():
            if key.lower() not in context:
                raise UnsupportedPolicy(
                    f"the local Glue does not evaluate the condition key {key} (S3 notifications set "
                    f"{', '.join(sorted(context))})"
                )
            value = context[key.lower()]
            if positive in ("StringLike", "ArnLike"):
                hit = any(_like(str(e), value) for e in _as_list(expected))
            else:
                hit = value in (str(e) for e in _as_list(expected))
            if hit == negated:
                return False
    return True


def _applies(statement: dict[str, Any], queue_arn: str, context: dict[str, str]) -> bool:
    return (
        _principal_matches(statement)
        and _action_matches(statement)
        and _resource_matches(statement, queue_arn)
        and _condition_holds(statement.get("Condition") or {}, context)
    )


def s3_may_send(policy: str | None, queue_arn: str, bucket_arn: str, bucket_account: str) -> bool:
    """Whether the queue policy lets S3 send the bucket's notifications to the queue.

    :param policy: the queue's ``Policy`` attribute (JSON), None when it has none (then S3 may not send).
    :param queue_arn: the queue ARN.
    :param bucket_arn: ``arn:aws:s3:::bucket``, the ``aws:SourceArn`` S3 sends with.
    :param bucket_account: the bucket owner's account, the ``aws:SourceAccount`` S3 sends with.
    :raises UnsupportedPolicy: the policy uses an element this module does not evaluate.
    """
    if not policy:
        return False
    try:
        document = json.loads(policy)
    except ValueError:
        return False
    context = {"aws:sourcearn": bucket_arn, "aws:sourceaccount": bucket_account}
    statements: Iterable[dict[str, Any]] = _as_list(document.get("Statement", []))
    allowed = False
    for statement in statements:
        if not _applies(statement, queue_arn, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed
