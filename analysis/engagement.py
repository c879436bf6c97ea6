"""The engagement wheel: who replied to and mentioned whom, weighted, drawn as a circular graph.

Edges run between contributors only: a mention of someone who never posted in the chat says nothing
about the conversation's shape. A reply's leading @mention is the reply itself, so it counts once (as
a reply), not twice. Reposts amplify but are not a conversation, so they draw no edge. Self-replies
(threads of one's own) are dropped. The picture shows the 40 most active contributors; the data
(`wheel_data`, stats.json) keeps every edge.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
from matplotlib.figure import Figure

from transcripts.snapshot import EventSnapshot

MAX_DRAWN = 40  # a wheel of more people than this is unreadable, and slow to draw for a 50,000-post chat


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    replies: int
    mentions: int

    @property
    def weight(self) -> int:
        return self.replies + self.mentions


def engagement_edges(snapshot: EventSnapshot) -> list[Edge]:
    """Directed, weighted edges between contributors' handles, strongest first."""
    author_of_post = {m.platform_id: snapshot.author(m).handle for m in snapshot.messages}
    contributors = {snapshot.author(m).handle.lower(): snapshot.author(m).handle for m in snapshot.messages}
    replies: Counter[tuple[str, str]] = Counter()
    mentions: Counter[tuple[str, str]] = Counter()
    for m in snapshot.messages:
        if m.is_repost:
            continue
        source = snapshot.author(m).handle
        target = author_of_post.get(m.reply_to) if m.reply_to else None
        if target is None and m.reply_to_handle:
            target = contributors.get(m.reply_to_handle.lower())
        if target and target != source:
            replies[(source, target)] += 1
        for handle in dict.fromkeys(h.lstrip("@").lower() for h in m.mentions):
            mentioned = contributors.get(handle)
            if mentioned and mentioned not in (source, target):
                mentions[(source, mentioned)] += 1
    edges = [Edge(s, t, replies[(s, t)], mentions[(s, t)]) for s, t in set(replies) | set(mentions)]
    return sorted(edges, key=lambda e: (-e.weight, e.source.lower(), e.target.lower()))


def wheel_data(snapshot: EventSnapshot) -> dict[str, Any]:
    """Nodes (handle, posts) and edges as plain data for the API and the live view."""
    posts = Counter(snapshot.author(m).handle for m in snapshot.messages)
    return {
        "nodes": [{"handle": h, "posts": n} for h, n in sorted(posts.items(), key=lambda kv: (-kv[1], kv[0]))],
        "edges": [
            {"source": e.source, "target": e.target, "replies": e.replies, "mentions": e.mentions, "weight": e.weight}
            for e in engagement_edges(snapshot)
        ],
    }


def render_wheel(snapshot: EventSnapshot, path: Path) -> Path | None:
    """The most active contributors round a circle, sized by posts, joined by lines as thick as their exchanges."""
    posts = Counter(snapshot.author(m).handle for m in snapshot.messages)
    drawn = sorted(posts, key=lambda h: (-posts[h], h.lower()))[:MAX_DRAWN]
    keep = set(drawn)
    edges = [e for e in engagement_edges(snapshot) if e.source in keep and e.target in keep]
    if not edges:
        return None
    graph = nx.DiGraph()
    graph.add_nodes_from(drawn)
    for e in edges:
        graph.add_edge(e.source, e.target, weight=e.weight)
    layout = nx.circular_layout(graph)
    heaviest = max(e.weight for e in edges)
    fig = Figure(figsize=(12, 12), dpi=100)
    ax = fig.subplots()
    ax.set_axis_off()
    nx.draw_networkx_edges(
        graph,
        layout,
        ax=ax,
        width=[0.5 + 5 * graph.edges[s, t]["weight"] / heaviest for s, t in graph.edges],
        edge_color="#2a6f97",
        alpha=0.45,
        arrows=True,
        arrowsize=8,
        connectionstyle="arc3,rad=0.15",
        node_size=[80 + 40 * posts[n] for n in graph.nodes],
    )
    nx.draw_networkx_nodes(
        graph, layout, ax=ax, node_size=[80 + 40 * posts[n] for n in graph.nodes], node_color="#0b5cad", alpha=0.85
    )
    for handle in drawn:
        x, y = layout[handle]
        ax.text(x * 1.12, y * 1.12, f"@{handle}", ha="center", va="center", fontsize=11)
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.35, 1.35)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
