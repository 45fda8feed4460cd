"""The Lambda API on the local Glue's endpoint: CreateFunction, GetFunction, ListFunctions, DeleteFunction
and Invoke, for Python runtimes. Every other Lambda operation is refused naming it.

API reference: https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from glue_flow_local.awslambda.runner import invoke
from glue_flow_local.protocol.auth import credential_scope, region_of
from glue_flow_local.protocol.errors import GlueApiError
from glue_flow_local.settings import Settings

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ACCOUNT = "123456789012"
PYTHON_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13")
#: Variables a function may not set: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
_FUNCTION_PATH = re.compile(r"^/2015-03-31/functions/?(?P<name>[^/]*)(?P<rest>/.*)?$")
_NAME = re.compile(
    r"^(arn:aws:lambda:[a-z0-9-]+:\d{12}:function:)?(?P<name>[A-Za-z0-9_-]{1,64})(:\$LATEST)?$"
)


def _error(code: str, message: str, status: int = 400) -> GlueApiError:
    return GlueApiError(code, message, status)


class LambdaApi:
    """WSGI middleware answering Lambda requests (signed for the ``lambda`` service).

    :param inner: the next application.
    :param settings: the server's settings.
    :param role_exists: whether an IAM role ARN exists (moto's IAM holds the roles).
    """

    def __init__(self, inner: WsgiApp, settings: Settings, role_exists: Callable[[str], bool]) -> None:
        self._inner = inner
        self.settings = settings
        self.role_exists = role_exists
        self.functions: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scope = credential_scope(environ)
        if scope is None or scope.service != "lambda":
            return self._inner(environ, start_response)
        method, path = environ.get("REQUEST_METHOD", "GET"), unquote(environ.get("PATH_INFO", ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        region = region_of(environ)
        headers: list[tuple[str, str]] = []
        try:
            match = _FUNCTION_PATH.match(path)
            rest = match.group("rest") if match else None
            name = self._name(match.group("name")) if match and match.group("name") else ""
            if match and method == "POST" and not name:
                status, body = 201, self.create_function(region, json.loads(raw or b"{}"))
            elif match and method == "GET" and not name:
                status, body = (
                    200,
                    {
                        "Functions": [
                            f["Configuration"] for (r, _), f in self.functions.items() if r == region
                        ]
                    },
                )
            elif match and name and method == "GET" and rest is None:
                function = self._function(region, name)
                status, body = (
                    200,
                    {
                        "Configuration": function["Configuration"],
                        "Code": {"RepositoryType": "S3", "Location": self._code_url(region, name)},
                    },
                )
            elif match and name and method == "GET" and rest == "/code":
                return _zip_response(start_response, self._function(region, name)["CodeDir"])
            elif match and name and method == "DELETE" and rest is None:
                self._function(region, name)
                with self._lock:
                    self.functions.pop((region, name), None)
                status, body = 204, None
            elif match and name and method == "POST" and rest == "/invocations":
                return self._invoke(environ, start_response, region, name, raw)
            else:
                operation = f"{method} {path}"
                raise _error(
                    "UnsupportedOperation",
                    f"Lambda {operation} is not run by the local Glue (it runs CreateFunction, GetFunction, ListFunctions, DeleteFunction and Invoke)",
                )
        except GlueApiError as err:
            status, body = err.status, {"Type": "User", "message": err.message}
            headers.append(("x-amzn-ErrorType", err.code))
        return _respond(start_response, status, headers, body)

    def _code_url(self, region: str, name: str) -> str:
        """GetFunction's ``Code.Location``: a presigned URL (10 minutes) of the deployment package, as AWS
        gives one; it reaches this server's ``GET .../functions/NAME/code``."""
        request = AWSRequest(
            method="GET", url=f"{self.settings.endpoint_url}/2015-03-31/functions/{name}/code"
        )
        keys = self.settings.credentials
        SigV4QueryAuth(
            BotoCredentials(keys.access_key_id, keys.secret_access_key), "lambda", region, 600
        ).add_auth(request)
        return str(request.url)

    @staticmethod
    def _name(raw: str) -> str:
        match = _NAME.match(raw)
        if match is None:
            raise _error(
                "ValidationException",
                f"1 validation error detected: Value '{raw}' at 'functionName' failed to satisfy constraint",
            )
        return match.group("name")

    def _function(self, region: str, name: str) -> dict[str, Any]:
        function = self.functions.get((region, name))
        if function is None:
            raise _error(
                "ResourceNotFoundException",
                f"Function not found: arn:aws:lambda:{region}:{ACCOUNT}:function:{name}",
                404,
            )
        return function

    def create_function(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        name = self._name(request.get("FunctionName", ""))
        runtime = request.get("Runtime", "")
        if request.get("PackageType", "Zip") != "Zip":
            raise _error(
                "InvalidParameterValueException",
                f"Function {name}: container images do not run on the local Glue; use a zip package",
            )
        if runtime not in PYTHON_RUNTIMES:
            raise _error(
                "InvalidParameterValueException",
                f"Function {name}: the runtime {runtime!r} does not run on the local Glue; it runs {', '.join(PYTHON_RUNTIMES)}",
            )
        if not self.role_exists(request.get("Role", "")):
            raise _error(
                "InvalidParameterValueException",
                "The role defined for the function cannot be assumed by Lambda.",
            )
        reserved = sorted(set((request.get("Environment") or {}).get("Variables") or {}) & RESERVED)
        if reserved:
            raise _error(
                "InvalidParameterValueException",
                f"Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {','.join(reserved)}",
            )
        package = self._package(name, region, request.get("Code") or {})
        code_dir = self.settings.state_dir / "lambda" / region / name
        code_dir.mkdir(parents=True, exist_ok=True)
        try:
            zipfile.ZipFile(io.BytesIO(package)).extractall(code_dir)
        except zipfile.BadZipFile:
            raise _error(
                "InvalidParameterValueException", f"Function {name}: could not unzip uploaded file"
            ) from None
        configuration = {
            "FunctionName": name,
            "FunctionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}",
            "Runtime": runtime,
            "Role": request["Role"],
            "Handler": request.get("Handler", "lambda_function.lambda_handler"),
            "CodeSize": len(package),
            "CodeSha256": base64.b64encode(hashlib.sha256(package).digest()).decode(),
            "Description": request.get("Description", ""),
            "Timeout": int(request.get("Timeout", 3)),
            "MemorySize": int(request.get("MemorySize", 128)),
            "LastModified": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Version": "$LATEST",
            "State": "Active",
            "PackageType": "Zip",
            "Environment": {"Variables": (request.get("Environment") or {}).get("Variables") or {}},
        }
        with self._lock:
            if (region, name) in self.functions:
                raise _error("ResourceConflictException", f"Function already exist: {name}", 409)
            self.functions[(region, name)] = {"Configuration": configuration, "CodeDir": code_dir}
        return configuration

    def _package(self, name: str, region: str, code: dict[str, Any]) -> bytes:
        if "ZipFile" in code:
            return base64.b64decode(code["ZipFile"])
        if "S3Bucket" in code:
            from glue_flow_local.clients import server_client

            s3 = server_client(self.settings.endpoint_url, "s3", region, self.settings.credentials)
            try:
                return bytes(s3.get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read())
            except Exception as err:
                raise _error(
                    "InvalidParameterValueException",
                    f"Function {name}: error occurred while GetObject. S3 Error Code: {getattr(err, 'response', {}).get('Error', {}).get('Code', 'NoSuchKey')}. S3 Key: {code.get('S3Key')}",
                ) from None
        raise _error(
            "InvalidParameterValueException",
            f"Function {name}: Code needs ZipFile or S3Bucket/S3Key (container images do not run locally)",
        )

    def _invoke(
        self, environ: dict[str, Any], start_response: Callable[..., Any], region: str, name: str, raw: bytes
    ) -> Iterable[bytes]:
        try:
            function = self._function(region, name)
            try:
                event = json.loads(raw or b"{}")
            except ValueError:
                raise _error(
                    "InvalidRequestContentException", "Could not parse request body into json"
                ) from None
        except GlueApiError as err:
            return _respond(
                start_response,
                err.status,
                [("x-amzn-ErrorType", err.code)],
                {"Type": "User", "message": err.message},
            )
        kind = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")

        def run() -> tuple[Any, bool]:
            return invoke(self.settings, region, function["Configuration"], Path(function["CodeDir"]), event)

        if kind == "Event":
            threading.Thread(target=run, daemon=True, name=f"lambda-{name}").start()
            return _respond(start_response, 202, [], None)
        if kind != "RequestResponse":
            return _respond(
                start_response,
                400,
                [("x-amzn-ErrorType", "InvalidParameterValueException")],
                {"message": f"Invocation type {kind} is not run by the local Glue"},
            )
        answer, failed = run()
        headers = [("X-Amz-Executed-Version", "$LATEST")] + (
            [("X-Amz-Function-Error", "Unhandled")] if failed else []
        )
        return _respond(start_response, 200, headers, answer, always=True)


def _zip_response(start_response: Callable[..., Any], code_dir: Path) -> list[bytes]:
    """The function's code as a zip (the files it was created with)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(p for p in code_dir.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(code_dir).as_posix())
    payload = buffer.getvalue()
    start_response("200 OK", [("Content-Type", "application/zip"), ("Content-Length", str(len(payload)))])
    return [payload]


def _respond(
    start_response: Callable[..., Any],
    status: int,
    headers: list[tuple[str, str]],
    body: Any,
    always: bool = False,
) -> list[bytes]:
    payload = json.dumps(body).encode() if body is not None or always else b""
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [*headers, ("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
