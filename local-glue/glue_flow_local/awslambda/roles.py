"""IAM roles as Lambda checks them: a function's role must exist (moto's IAM keeps the roles)."""

from __future__ import annotations


def role_exists(arn: str) -> bool:
    """Whether an IAM role with this ARN exists on the local Glue."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    return any(role.arn == arn for role in backend.roles.values())
