"""What a WeCommunities chat page publishes about itself, beyond its transcript: its Stats footer.

The page states "Total contributers: 14", "Total tweets: 171" and "Total reach: 453,257". The first two
the record recomputes (and the importer checks); reach it cannot, because a page carries no follower
counts. Such totals are kept as the source published them, so a chat page can show them labelled as
the source's rather than inventing or dropping them.
"""

from __future__ import annotations

import re

_TOTAL_RE = re.compile(r"^\s*Total (?P<what>[A-Za-z ]{1,40}?):\s*(?P<n>\d{1,3}(?:,\d{3}){0,5}|\d{1,18})\s*$")
_NAMES = {"contributers": "contributors", "contributors": "contributors", "tweets": "tweets", "reach": "reach"}


def published_totals(text: str) -> dict[str, int]:
    """The Stats footer's totals by name (contributors, tweets, reach, and any other it states)."""
    lines = text.splitlines()
    at = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip() == "Stats"), None)
    if at is None:
        return {}
    totals: dict[str, int] = {}
    for line in lines[at + 1 :]:
        m = _TOTAL_RE.match(line.replace("\xa0", " "))
        if m:
            what = m["what"].strip().lower()
            totals[_NAMES.get(what, what.replace(" ", "_"))] = int(m["n"].replace(",", ""))
    return totals
