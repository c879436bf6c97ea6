"""The engagement wheel: who replied to and mentioned whom, weighted, drawn as a circular graph.

Edges run between contributors only: a mention of someone who never posted in the chat says nothing
about the conversation's shape. A reply's leading @mention is the reply itself, so it counts once (as
a reply), not twice. Reposts amplify but are not a conversation, so they draw no edge. Self-replies
(threads of one's own) are dropped. The picture shows the 40 most active contributors; the data
(`wheel_data`, stats.json) keeps every edge.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transcripts.snapshot import EventSnapshot, field_of, fields_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
    messages = snapshot.messages
    # The author of each post replied to (only those: a large chat's every post would be most of the memory).
    replied_to = {
        reply_to for reply_to, is_repost in fields_of(messages, "reply_to", "is_repost") if reply_to and not is_repost
    }
    handles = {pid: p.handle for pid, p in snapshot.people.items()}
    lowered = {pid: handle.lower() for pid, handle in handles.items()}
    author_of_post: dict[str, int] = {}  # the last post of an id's, as one entry per post would have it
    contributors: dict[str, str] = {}
    for platform_id, author_id in fields_of(messages, "platform_id", "author_id"):
        contributors[lowered[author_id]] = handles[author_id]
        if platform_id in replied_to:
            author_of_post[platform_id] = author_id
    del replied_to
    replies: Counter[tuple[str, str]] = Counter()
    mentions: Counter[tuple[str, str]] = Counter()
    # The contributors a post's mentions name, once per distinct list: posts load with each distinct list of
    # mentions as one tuple, and most repeat.
    named: dict[tuple[str, ...], list[str]] = {}
    for is_repost, author_id, reply_to, reply_to_handle, mentioned_handles in fields_of(
        messages, "is_repost", "author_id", "reply_to", "reply_to_handle", "mentions"
    ):
        if is_repost:
            continue
        source = handles[author_id]
        target = handles[author_of_post[reply_to]] if reply_to in author_of_post else None
        if target is None and reply_to_handle:
            target = contributors.get(reply_to_handle.lower())
        if target and target != source:
            replies[(source, target)] += 1
        if not mentioned_handles:
            continue
        contributors_named = named.get(mentioned_handles)
        if contributors_named is None:
            contributors_named = named[mentioned_handles] = [
                mentioned
                for handle in dict.fromkeys(h.lstrip("@").lower() for h in mentioned_handles)
                if (mentioned := contributors.get(handle))
            ]
        for mentioned in contributors_named:
            if mentioned not in (source, target):
                mentions[(source, mentioned)] += 1
    edges = [Edge(s, t, replies.get((s, t), 0), mentions.get((s, t), 0)) for s, t in set(replies) | set(mentions)]
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


NODE_COLOUR = "#0b5cad"
LABEL_GAP_PT = 6  # points between a node's edge and its label


def node_sizes(posts: Counter[str], handles: list[str]) -> list[float]:
    """Marker areas (points²) by posts, as matplotlib's scatter takes them."""
    return [80 + 40 * posts[h] for h in handles]


def draw_wheel(snapshot: EventSnapshot) -> Figure | None:
    """The most active contributors round a circle, sized by posts, joined by lines as thick as their exchanges.

    Each label sits outside its node, anchored at the side facing away from the centre and pushed out by
    the node's own radius, so it never covers its node (or the circle's others), however large the node.
    networkx and matplotlib load here, not with the module: a report without pictures never needs them.
    """
    import networkx as nx
    from matplotlib.figure import Figure

    posts = Counter(snapshot.people[a].handle for a in field_of(snapshot.messages, "author_id"))
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
    sizes = node_sizes(posts, list(graph.nodes))
    fig = Figure(figsize=(12, 12), dpi=100)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_aspect("equal")
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
        node_size=sizes,
    )
    nx.draw_networkx_nodes(graph, layout, ax=ax, node_size=sizes, node_color=NODE_COLOUR, alpha=0.85)
    for handle, size in zip(graph.nodes, sizes, strict=True):
        x, y = layout[handle]
        angle = math.atan2(y, x)
        push = math.sqrt(size) / 2 + LABEL_GAP_PT  # the node's radius in points, and a gap
        dx, dy = math.cos(angle), math.sin(angle)
        ax.annotate(
            f"@{handle}",
            (x, y),
            xytext=(dx * push, dy * push),
            textcoords="offset points",
            ha="left" if dx > 0.2 else "right" if dx < -0.2 else "center",
            va="bottom" if dy > 0.2 else "top" if dy < -0.2 else "center",
            fontsize=11,
            annotation_clip=False,
        )
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.2, 1.2)
    fig.subplots_adjust(left=0.17, right=0.83, top=0.9, bottom=0.1)
    return fig


def render_wheel(snapshot: EventSnapshot, path: Path) -> Path | None:
    """Draw the wheel as a PNG (labels included however far they reach); None when there is no edge."""
    fig = draw_wheel(snapshot)
    if fig is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight", pad_inches=0.3)
    return path
