"""Custom classifiers: the CreateClassifier family of actions (moto has none) and their lookup by crawls.

AWS keeps one classifier per name, of one kind: ``GrokClassifier``, ``XMLClassifier``,
``JsonClassifier`` or ``CsvClassifier`` (https://docs.aws.amazon.com/glue/latest/webapi/API_Classifier.html).
Crawls run custom CSV classifiers; a crawler that names another kind is refused by the crawl.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from glue_flow_local.protocol.errors import GlueApiError
from glue_flow_local.protocol.paging import paged

#: CreateClassifier / UpdateClassifier request fields, one per classifier kind.
KINDS = ("GrokClassifier", "XMLClassifier", "JsonClassifier", "CsvClassifier")


class ClassifierStore:
    """Custom classifiers per region, answering the Glue classifier actions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._classifiers: dict[tuple[str, str], dict[str, Any]] = {}

    def actions(self) -> dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]]:
        """Glue action name -> handler taking ``(region, request)`` and returning the answer."""
        return {
            "CreateClassifier": self.create,
            "GetClassifier": self.get,
            "GetClassifiers": self.list,
            "UpdateClassifier": self.update,
            "DeleteClassifier": self.delete,
        }

    def create(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        """CreateClassifier.

        :raises GlueApiError: InvalidInputException (not exactly one kind), AlreadyExistsException.
        """
        kind, body = _one_kind(request)
        name = body.get("Name") or ""
        now = datetime.now(UTC)
        with self._lock:
            if (region, name) in self._classifiers:
                raise GlueApiError("AlreadyExistsException", f"Classifier with name {name} already exists")
            self._classifiers[(region, name)] = {
                kind: {**body, "CreationTime": now, "LastUpdated": now, "Version": 1}
            }
        return {}

    def get(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        """GetClassifier.

        :raises GlueApiError: EntityNotFoundException.
        """
        return {"Classifier": self.lookup(region, request.get("Name") or "")}

    def list(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        """GetClassifiers, paged with MaxResults / NextToken."""
        with self._lock:
            every = [value for (where, _), value in sorted(self._classifiers.items()) if where == region]
        return paged("Classifiers", every, request)

    def update(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        """UpdateClassifier: changes only the given fields.

        :raises GlueApiError: EntityNotFoundException, InvalidInputException for another kind.
        """
        kind, body = _one_kind(request)
        name = body.get("Name") or ""
        with self._lock:
            stored = self._classifiers.get((region, name))
            if stored is None:
                raise _not_found(name)
            if kind not in stored:
                raise GlueApiError("InvalidInputException", f"Classifier {name} is not a {kind}")
            current = stored[kind]
            current.update(body)
            current["LastUpdated"] = datetime.now(UTC)
            current["Version"] += 1
        return {}

    def delete(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        """DeleteClassifier.

        :raises GlueApiError: EntityNotFoundException.
        """
        name = request.get("Name") or ""
        with self._lock:
            if self._classifiers.pop((region, name), None) is None:
                raise _not_found(name)
        return {}

    def lookup(self, region: str, name: str) -> dict[str, Any]:
        """One classifier as GetClassifier shows it (``{"CsvClassifier": {...}}``).

        :raises GlueApiError: EntityNotFoundException.
        """
        with self._lock:
            stored = self._classifiers.get((region, name))
            if stored is None:
                raise _not_found(name)
            return {kind: dict(body) for kind, body in stored.items()}


def _one_kind(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    given = [kind for kind in KINDS if request.get(kind)]
    if len(given) != 1:
        raise GlueApiError(
            "InvalidInputException", f"Exactly one of {', '.join(KINDS)} must be given, got {len(given)}"
        )
    return given[0], dict(request[given[0]])


def _not_found(name: str) -> GlueApiError:
    return GlueApiError("EntityNotFoundException", f"Classifier with name {name} not found")
