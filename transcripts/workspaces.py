"""Whether a row of the record belongs to a Slack workspace: decided here, once, for every reader.

With a single bot token the installation serves one workspace, so rows recorded without a workspace
(a huddle added from the command line, a level set before the workspace was known) are that
workspace's. With per-workspace installs they belong to none, so nothing unassigned can leak from
one workspace into another's Home tab, dashboard or pages.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_


def belongs(value: str | None, workspace: str | None, *, single_workspace: bool) -> bool:
    """Whether a row whose workspace is `value` belongs to `workspace`."""
    if workspace is None:
        return False
    return value == workspace or (value is None and single_workspace)


def belongs_clause(column: Any, workspace: str | None, *, single_workspace: bool) -> Any:
    """The SQL form of `belongs`, for rows read with a query."""
    if single_workspace:
        return or_(column == workspace, column.is_(None))
    return column == workspace
