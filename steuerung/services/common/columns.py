"""Column choice of wide tables: which columns a page shows, read from and written to the URL.

A table declares its columns once (key, German label, whether it can be hidden) in its
service; the page reads the choice from the query string (``spalte=...`` repeated, one value
per shown column) and keeps it in every link, so a bookmark or a shared link shows the same
columns. The choice form is a plain GET form (templates/_tables.html): no JavaScript needed.

The form always sends one empty ``spalte`` value besides the ticked boxes, so "every optional
column unticked" is a choice of its own and not the same as "no choice made" (defaults).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Name of the URL parameter (German, like the other parameters users see).
COLUMN_PARAM = "spalte"


@dataclass(frozen=True)
class TableColumn:
    """One column (or group of columns, e.g. the planning years) of a table."""

    key: str
    label: str
    #: Always shown (the column that names the row); not offered in the chooser.
    required: bool = False
    #: Shown when the URL carries no choice.
    default: bool = True


@dataclass(frozen=True)
class ColumnChoice:
    """The columns of one table and which of them are shown."""

    columns: tuple[TableColumn, ...]
    shown: frozenset[str]
    #: True when the URL carried a choice (else the defaults apply).
    chosen: bool = False

    def shows(self, key: str) -> bool:
        """Is the column ``key`` shown?"""
        return key in self.shown

    @property
    def optional(self) -> list[TableColumn]:
        """The columns the user may hide or show (in table order)."""
        return [c for c in self.columns if not c.required]

    @property
    def hidden(self) -> list[TableColumn]:
        """The columns not shown (in table order)."""
        return [c for c in self.columns if c.key not in self.shown]

    @property
    def param(self) -> str:
        """The URL parameter name (for the chooser form)."""
        return COLUMN_PARAM

    def url_args(self) -> dict[str, list[str]]:
        """The choice as URL arguments for links (empty when the defaults apply)."""
        if not self.chosen:
            return {}
        return {COLUMN_PARAM: ["", *[c.key for c in self.optional if c.key in self.shown]]}


def choose_columns(columns: Sequence[TableColumn], values: Sequence[str] | None) -> ColumnChoice:
    """The choice from the URL values of ``spalte`` (``None``: parameter absent -> defaults).

    Unknown keys are ignored (an old bookmark must not break the page); required columns are
    always shown."""
    columns = tuple(columns)
    required = {c.key for c in columns if c.required}
    if values is None:
        shown = required | {c.key for c in columns if c.default}
        return ColumnChoice(columns, frozenset(shown), chosen=False)
    known = {c.key for c in columns}
    shown = required | {v for v in values if v in known}
    return ColumnChoice(columns, frozenset(shown), chosen=True)


def columns_from_args(columns: Sequence[TableColumn], args: Mapping[str, Any]) -> ColumnChoice:
    """``choose_columns`` for a query-string mapping (``request.args`` or a dict)."""
    if COLUMN_PARAM not in args:
        return choose_columns(columns, None)
    if hasattr(args, "getlist"):
        values = [str(v) for v in args.getlist(COLUMN_PARAM)]
    else:
        raw = args[COLUMN_PARAM]
        values = [str(v) for v in (raw if isinstance(raw, list | tuple) else [raw])]
    return choose_columns(columns, values)
