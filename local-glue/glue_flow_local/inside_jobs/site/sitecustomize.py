"""Points every AWS SDK client a local Glue job creates at the local Glue.

Python imports this module at start-up (it is on the job's ``PYTHONPATH``). botocore honours
``AWS_ENDPOINT_URL`` only from 1.31 (boto3 1.28), and aiobotocore not in the versions s3fs pins; the
``analytics`` library set (s3fs 2022.3.0 pins botocore 1.24) and ``--additional-python-modules`` can
install such versions. Without this, their clients would call AWS itself instead of the local Glue.
A client created with its own ``endpoint_url`` keeps it. Nothing is imported until the script imports
botocore or aiobotocore. Kept compatible with Python 3.6+ (so its type hints are comments).
"""

import importlib.abc
import importlib.machinery
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # used by the type comments only
    from importlib.machinery import ModuleSpec  # noqa: F401
    from types import ModuleType  # noqa: F401
    from typing import Any, Callable, Optional, Sequence  # noqa: F401, UP035

_ENDPOINT = os.environ.get("AWS_ENDPOINT_URL")
# Modules whose session class creates clients, and that class.
_SESSIONS = {"botocore.session": "Session", "aiobotocore.session": "AioSession"}
_ENDPOINT_POSITION = (
    6  # create_client(self, service_name, region_name, api_version, use_ssl, verify, endpoint_url
)


def _default_endpoint(create_client):  # type: (Callable[..., Any]) -> Callable[..., Any]
    def create_client_with_endpoint(self, *args, **kwargs):  # type: (Any, Any, Any) -> Any
        if len(args) >= _ENDPOINT_POSITION:
            if args[_ENDPOINT_POSITION - 1] is None:
                args = args[: _ENDPOINT_POSITION - 1] + (_ENDPOINT,) + args[_ENDPOINT_POSITION:]
        elif kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = _ENDPOINT
        return create_client(self, *args, **kwargs)

    create_client_with_endpoint.__wrapped__ = create_client  # type: ignore[attr-defined]  # as functools.wraps sets it
    return create_client_with_endpoint


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader, class_name):  # type: (importlib.abc.Loader, str) -> None
        self._loader = loader
        self._class_name = class_name

    def __getattr__(self, name):  # type: (str) -> Any
        # get_source, get_resource_reader, ...: the real loader's
        return getattr(self._loader, name)

    def create_module(self, spec):  # type: (ModuleSpec) -> Optional[ModuleType]
        return self._loader.create_module(spec)

    def exec_module(self, module):  # type: (ModuleType) -> None
        self._loader.exec_module(module)
        session = getattr(module, self._class_name, None)
        if session is not None and "create_client" in vars(session):
            session.create_client = _default_endpoint(session.create_client)


class _SessionFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        # type: (str, Optional[Sequence[str]], Optional[ModuleType]) -> Optional[ModuleSpec]
        if fullname not in _SESSIONS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, _SESSIONS[fullname])
        return spec


if _ENDPOINT:
    sys.meta_path.insert(0, _SessionFinder())
