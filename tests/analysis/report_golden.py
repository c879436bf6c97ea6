"""The report files of a few records, as SHA-256 digests, for the byte-identical check of the report's output.

The digests in `data/report_golden.json` were made with the report code of commit 054fc28 (before the
report was made faster), by running this file against that checkout:

    git worktree add /tmp/base-render 054fc28
    PYTHONPATH=/tmp/base-render python tests/analysis/report_golden.py tests/analysis/data/report_golden.json [KEEP]

(KEEP: a folder to keep each record's files in, to diff the old files with the new when a digest differs.)

`test_report_golden.py` makes the same records with the current code and compares. stats.json's
`generated_at` (the clock) is blanked before hashing; everything else is hashed as written.

The records: the seed chat; the seed with markup, links, handles and a post after the chat; and a
generated 2,000-post X chat with some posts deleted or withheld, a few on Bluesky and Slack, posts after
its end, the platform's usage and published totals, also rendered as the web app renders it (first
screen, `more` link, CPD links, picture URLs, prices).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

REPORT_FILES = ("index.html", "transcript.md", "messages.csv", "stats.json", "record.json")
_GENERATED_AT = re.compile(rb'\n  "generated_at": "[^"]*"')
HOSTILE_LINES = (
    "<script>alert(1)</script> see https://example.org/a?b=1&c=<2>. and (https://x.com/q), @someone!",
    'mail me at nurse@example.org or @a_b_c; javascript:alert(1) http://e.g/"onmouseover=x ` @@twice',
    "Tabs\tand 'quotes' & \"double\" … http://example.com/path…, end @x.",
)


def digest(name: str, data: bytes) -> str:
    if name == "stats.json":
        data = _GENERATED_AT.sub(b'\n  "generated_at": ""', data)
    return hashlib.sha256(data).hexdigest()


def folder_digests(folder: Path) -> dict[str, str]:
    return {name: digest(name, (folder / name).read_bytes()) for name in REPORT_FILES}


def hostile_seed(seed: Path, folder: Path) -> Path:
    """The seed chat with markup, links and handles in posts, and a reflection posted the next morning."""
    text = seed.read_text(encoding="utf-8")
    for n, line in enumerate(HOSTILE_LINES):
        text = text.replace("#WeHCMs\n", f"{line} #WeHCMs\n", 3 * n + 2)
    later = "@Lyse_e\n26 February 2020 08:15\nStill thinking about <b>SBAR</b> https://example.org/sbar). #WeHCMs\n"
    text = text.replace("\n\n\n\n\xa0Stats", "\n" + later + "\n\n\n\xa0Stats").replace(
        "Total tweets: 171", "Total tweets: 172"
    )
    path = folder / "hostile.txt"
    path.write_text(text, encoding="utf-8")
    return path


def generated_record(db: object, folder: Path, posts: int = 2000) -> int:
    """A generated X chat, then changed in place to reach what an import alone does not."""
    from benchmarks.generate_x_chat import generate
    from transcripts.db import Database
    from transcripts.importers import import_path
    from transcripts.models import ChatCapture, Event, MessageRow

    assert isinstance(db, Database)
    [(event_id, _)] = import_path(db, generate(posts, folder / "chat.jsonl"))
    with db.session() as session:
        rows = select(MessageRow.id).where(MessageRow.event_id == event_id).order_by(MessageRow.id)
        ids = list(session.scalars(rows))
        event = session.get(Event, event_id)
        assert event is not None and event.ends_at is not None
        last = session.scalars(select(MessageRow.created_at).where(MessageRow.id == ids[-1])).one()
        event.ends_at = last - timedelta(minutes=3)  # the last few minutes' posts come after the chat
        event.published_totals = {"reach": 453257, "tweets": 2000, "retweets": 12}
        for n, mid in enumerate(ids[5::97]):
            values: dict[str, object] = {"deleted_at": event.starts_at}
            if n % 3 == 0:
                values = {"withheld_reason": "looked like PII"}
            session.execute(update(MessageRow).where(MessageRow.id == mid).values(**values))
        for n, mid in enumerate(ids[7::131]):
            session.execute(
                update(MessageRow)
                .where(MessageRow.id == mid)
                .values(
                    platform="bluesky" if n % 2 else "slack",
                    platform_id=f"at://did:plc:abc{n}/app.bsky.feed.post/3k{n}x" if n % 2 else f"1700000000.{n:06d}",
                    text=HOSTILE_LINES[n % len(HOSTILE_LINES)],
                )
            )
        session.add(
            ChatCapture(
                event_id=event_id, platform="x", posts_read=2100, users_read=340, posts_created=7,
                posts_created_with_url=1, reposts=None,
            )
        )  # fmt: skip
        session.add(ChatCapture(event_id=event_id, platform="bluesky", posts_read=30, users_read=4, reposts=3))
    return event_id


def web_page(db: object, event_id: int) -> bytes:
    """The page as the web app renders it: the first screen of posts, linked pictures, CPD links, prices."""
    from analysis.report import build_report, render_page
    from config.settings import Settings
    from transcripts.db import Database
    from transcripts.snapshot import load_event

    assert isinstance(db, Database)
    with db.session() as session:
        report = build_report(load_event(session, event_id))
    pictures = {"timeline": "/p/timeline.png?v=1", "wheel": None, "wordcloud": "/p/w.png", "biocloud": None}
    html = render_page(
        report, pictures, cpd_links=[("a&b", "/cpd?handle=a%26b"), ("c", "/cpd?handle=c")], img_origin="'self'",
        first_screen=150, more=("/t?start=150", "The rest <of> it"), settings=Settings(_env_file=None),
    )  # fmt: skip
    return html.encode("utf-8")


RECORDS = ("seed", "hostile", "generated")


def record_digests(name: str, db: object, seed: Path, folder: Path) -> dict[str, str]:
    """One record's report files' digests (and, for the generated one, the web page's), made in `db`."""
    from analysis.report import write_report
    from config.settings import Settings
    from transcripts.db import Database
    from transcripts.importers import import_path

    assert isinstance(db, Database)
    if name == "generated":
        event_id = generated_record(db, folder)
    else:
        [(event_id, _)] = import_path(db, seed if name == "seed" else hostile_seed(seed, folder))
    write_report(db, event_id, folder / name, pictures=False, settings=Settings(_env_file=None))
    out = folder_digests(folder / name)
    if name == "generated":
        out["web.html"] = hashlib.sha256(web_page(db, event_id)).hexdigest()
    return out


def all_digests(seed: Path, folder: Path) -> dict[str, dict[str, str]]:
    """Every record's digests, each record in its own SQLite file under `folder`."""
    from transcripts.db import Database

    out: dict[str, dict[str, str]] = {}
    for name in RECORDS:
        db = Database(f"sqlite:///{folder / name}.db")
        try:
            out[name] = record_digests(name, db, seed, folder)
        finally:
            db.dispose()
    return out


if __name__ == "__main__":
    from transcripts.samples import SEED_CHAT

    keep = Path(sys.argv[2]) if len(sys.argv) > 2 else None  # a folder to keep the files in, to diff them
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        digests = all_digests(SEED_CHAT, folder)
    Path(sys.argv[1]).write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(digests, indent=2, sort_keys=True))
