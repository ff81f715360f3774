"""The improver lineage as a tree: each candidate under the improver that wrote it."""

from __future__ import annotations

from dataclasses import dataclass

from stop.analysis.run_data import ImproverRecord


@dataclass(frozen=True)
class LineageNode:
    improver: ImproverRecord
    children: tuple[LineageNode, ...]
    copy_of_parent: bool  # the parent carried on unchanged (candidate rejected or not returned)
    strategies: tuple[str, ...]


def lineage(
    improvers: tuple[ImproverRecord, ...] | list[ImproverRecord],
    strategies: dict[int, tuple[str, ...]] | None = None,
) -> list[LineageNode]:
    """Roots (improvers without a recorded parent) with their descendants, by id."""
    strategies = strategies or {}
    by_id = {i.id: i for i in improvers}
    children: dict[int | None, list[ImproverRecord]] = {}
    for imp in sorted(improvers, key=lambda i: i.id):
        parent = imp.parent_id if imp.parent_id in by_id else None
        children.setdefault(parent, []).append(imp)

    def build(imp: ImproverRecord, depth: int) -> LineageNode:
        parent = by_id.get(imp.parent_id) if imp.parent_id is not None else None
        kids = children.get(imp.id, []) if depth < 200 else []  # a cycle cannot recurse forever
        return LineageNode(
            imp,
            tuple(build(k, depth + 1) for k in kids),
            bool(parent and parent.source == imp.source),
            strategies.get(imp.id, ()),
        )

    return [build(root, 0) for root in children.get(None, [])]
