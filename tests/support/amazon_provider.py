"""What the installed amazon provider's operators accept, for tests whose expectation depends on it."""

from __future__ import annotations

import inspect

from airflow.providers.amazon.aws.operators.athena import AthenaOperator

#: Whether AthenaOperator requires ``database`` (releases before 9.33.0).
ATHENA_NEEDS_DATABASE = (
    inspect.signature(AthenaOperator.__init__).parameters["database"].default is inspect.Parameter.empty
)
