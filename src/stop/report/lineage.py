"""The improver lineage as rows in tree order: each candidate under the improver that wrote it.

Built with an explicit stack, not recursion, so a lineage thousands deep (or a store whose parent
links form a cycle) is listed in full instead of raising RecursionError.
"""

from __future__ import annotations

from dataclasses import dataclass

from stop.analysis.run_data import ImproverRecord


@dataclass(frozen=True)
class LineageRow:
    improver: ImproverRecord
    depth: int  # 0 for a root; a child is one deeper than the improver that wrote it
    copy_of_parent: bool  # the parent carried on unchanged (candidate rejected or not returned)
    strategies: tuple[str, ...]


def lineage(
    improvers: tuple[ImproverRecord, ...] | list[ImproverRecord],
    strategies: dict[int, tuple[str, ...]] | None = None,
) -> list[LineageRow]:
    """Every improver once, depth-first from the roots (improvers without a recorded parent),
    children by id; improvers only reachable through a cycle of parent links come last, as
    roots."""
    strategies = strategies or {}
    by_id = {i.id: i for i in improvers}
    children: dict[int | None, list[ImproverRecord]] = {}
    for imp in sorted(improvers, key=lambda i: i.id):
        parent = imp.parent_id if imp.parent_id in by_id else None
        children.setdefault(parent, []).append(imp)
    rows: list[LineageRow] = []
    seen: set[int] = set()
    for start in children.get(None, []) + sorted(improvers, key=lambda i: i.id):
        stack = [(start, 0)]
        while stack:
            imp, depth = stack.pop()
            if imp.id in seen:
                continue
            seen.add(imp.id)
            parent = by_id.get(imp.parent_id) if imp.parent_id is not None else None
            copy = bool(parent and parent.source == imp.source)
            rows.append(LineageRow(imp, depth, copy, strategies.get(imp.id, ())))
            stack.extend((kid, depth + 1) for kid in reversed(children.get(imp.id, [])))
    return rows
