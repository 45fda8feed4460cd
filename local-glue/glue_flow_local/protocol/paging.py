"""NextToken paging of the lists the local Glue keeps itself, as the Glue API pages them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Glue's page size when a request gives no MaxResults.
DEFAULT_MAX_RESULTS = 100


def paged(field: str, items: Sequence[Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The answer holding one page of ``items`` under ``field``, with the ``NextToken`` of the next page.

    The token is the offset of the next page (the JSON protocol layer refuses tokens it did not issue).

    :param field: the answer's list field, e.g. ``JobRuns``.
    :param items: the whole list, in the order pages walk it.
    :param request: the request, with optional ``MaxResults`` and ``NextToken``.
    """
    start = int(request.get("NextToken") or 0)
    size = int(request.get("MaxResults") or DEFAULT_MAX_RESULTS)
    answer: dict[str, Any] = {field: list(items[start : start + size])}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer
