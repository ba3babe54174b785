"""Open data exports: flat rows as CSV (safe to open in a spreadsheet) or JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

COLUMNS: dict[str, tuple[str, ...]] = {
    "proposals": ("id", "forum_id", "title", "body", "author", "node_id", "program",
                  "location", "budget_estimate", "tags", "status", "comment_count",
                  "endorsement_count", "submitted_at", "updated_at"),
    "commitments": ("id", "title", "description", "owner_node_id", "due_date", "status",
                    "percent", "overdue", "meeting_id", "proposal_id", "node_id", "created_at",
                    "completed_at", "updated_at"),
    "indicators": ("program", "indicator", "period", "area", "value", "unit", "note",
                   "node_id", "reported_at"),
    # one row per indicator of each program: its definition, latest figure and progress
    "programs": ("program", "program_name", "lead_node_id", "partner_node_ids", "starts_on",
                 "ends_on", "indicator", "indicator_name", "unit", "baseline", "target",
                 "direction", "latest_period", "latest_value", "progress", "updated_at"),
}


def safe_cell(value: Any) -> Any:
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def flat(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    return [{c: row.get(c) for c in columns} for row in rows]


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else safe_cell(row.get(c)) for c in columns])
    return out.getvalue().encode("utf-8")
