"""Sensors of the DAGs ``glue-flow import asl`` writes, for state machine loops that are not Glue's.

:class:`LambdaPollSensor` is a status poll loop on a Lambda (a Task invoking it, a Choice on its output, a
Wait): each poke invokes the function with the loop's data (first the loop's input, then the function's
last output, as the loop passes it round) and reads the Choice rules on the output.
https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from airflow.providers.amazon.aws.hooks.lambda_function import LambdaHook
from airflow.sdk import BaseSensorOperator, Context, PokeReturnValue

from airflow_glue_flow.importers.asl.runtime import StateMachineError, rule_matches

#: What a rule of the loop's Choice does: poll again, leave the loop, or fail (a Fail state).
POLL, EXIT, FAIL = "poll", "exit", "fail"


class LambdaPollSensor(BaseSensorOperator):
    """Invoke a Lambda until a rule of the loop's Choice leaves the loop.

    :param state: the Task state invoking the Lambda (for messages).
    :param function_name: the Lambda function (templated).
    :param payload: the loop's input as JSON text (templated; an earlier task's XCom).
    :param choices: the Choice rules, each ``Next`` one of ``poll``, ``exit``, ``fail``.
    :param default: the Choice's Default as one of those, or None (no match fails: States.NoChoiceMatched).
    :param fail_with: for ``fail``: the Fail state's name, Error and Cause.
    :param aws_conn_id: the AWS connection.
    """

    template_fields: Sequence[str] = ("function_name", "payload")

    def __init__(
        self,
        *,
        state: str,
        function_name: str,
        choices: list[dict[str, Any]],
        default: str | None = None,
        payload: str | None = None,
        fail_with: dict[str, Any] | None = None,
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("mode", "poke")  # the last output is kept between pokes
        super().__init__(**kwargs)
        self.state, self.function_name, self.payload = state, function_name, payload
        self.choices, self.default, self.fail_with = choices, default, fail_with or {}
        self.aws_conn_id = aws_conn_id
        self._data: str | None = None

    def poke(self, context: Context) -> bool | PokeReturnValue:
        payload = self._data if self._data is not None else (self.payload or "{}")
        response = LambdaHook(aws_conn_id=self.aws_conn_id).invoke_lambda(
            function_name=self.function_name, payload=payload
        )
        body = response["Payload"].read().decode("utf-8")
        if response.get("FunctionError"):
            raise StateMachineError(f"state {self.state!r}: Lambda {self.function_name!r} failed: {body}")
        output = json.loads(body) if body else None
        action = next((r["Next"] for r in self.choices if rule_matches(r, output)), self.default)
        if action is None:
            raise StateMachineError(
                f"States.NoChoiceMatched: no rule of the Choice after state {self.state!r} holds for {body}"
            )
        if action == POLL:
            self._data = body
            return False
        if action == FAIL:
            raise StateMachineError(
                f"Fail state {self.fail_with.get('state')!r}: {self.fail_with.get('error') or 'no Error'}: "
                f"{self.fail_with.get('cause') or 'no Cause'}"
            )
        return PokeReturnValue(is_done=True, xcom_value=body)
