"""The error every awsglue API that the local Glue does not implement raises, naming the API."""

from __future__ import annotations

from typing import NoReturn


class NotSupportedLocally(NotImplementedError):
    """An awsglue API that the local Glue's awsglue library does not implement.

    :param api: the API's name, e.g. ``GlueContext.purge_s3_path``.
    """

    def __init__(self, api: str, why: str = "") -> None:
        detail = f" ({why})" if why else ""
        super().__init__(
            f"{api} is not implemented by the local Glue's awsglue library{detail}; run this job on AWS Glue"
        )
        self.api = api


def unsupported(api: str, why: str = "") -> NoReturn:
    """Raise :class:`NotSupportedLocally` for ``api``.

    :param api: the API's name.
    :param why: what is missing, when it helps.
    """
    raise NotSupportedLocally(api, why)


class NamedMissingAttributes:
    """Mixin: reading an attribute the class lacks names the awsglue API in the error, so a script that
    calls an API the local library does not implement fails with that API's name, never quietly."""

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        raise NotSupportedLocally(f"{type(self).__name__}.{name}")
