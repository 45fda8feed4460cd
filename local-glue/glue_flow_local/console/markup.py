"""HTML pieces every console page is made of; every value is escaped here."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime
from typing import Any

Page = tuple[str, str]  # (title, body HTML)


def _e(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ", timespec="seconds")
    return html.escape("" if value is None else str(value))


def _rows(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fields(pairs: Iterable[tuple[str, Any]]) -> str:
    return _rows(("field", "value"), ((_e(k), _e(v)) for k, v in pairs))


def _state(value: Any) -> str:
    return f'<span class="{_e(value)}">{_e(value)}</span>'
