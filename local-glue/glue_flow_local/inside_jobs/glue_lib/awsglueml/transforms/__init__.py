"""``from awsglueml.transforms import FillMissingValues`` imports, and calling it names what is missing.

FillMissingValues fills a column's missing values with a model that Glue trains on the others:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-fillmissingvalues.html
The local Glue has no such model, so the transform refuses, naming itself, rather than fill in other values.
"""

from __future__ import annotations

import importlib
from typing import Any, NoReturn


class FillMissingValues:
    """Not available locally: raises awsglue's NotSupportedLocally naming it."""

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> NoReturn:
        cls()(*args, **kwargs)

    def __call__(self, frame: Any, missing_values_column: str, output_column: str = "", **_: Any) -> NoReturn:
        # awsglue sits next to this package on a job's path.
        missing = importlib.import_module("awsglue._unsupported").NotSupportedLocally
        raise missing("awsglueml.transforms.FillMissingValues", "it needs a model that AWS Glue trains")


__all__ = ["FillMissingValues"]
