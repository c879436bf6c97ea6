"""Reads the text of a WeCommunities chat page (details, questions, transcript, stats footer).

The page is the only record many past chats have. Its transcript is `@handle` / `25 February 2020
20:03` / text, times in the chat's local zone; the footer states its own totals, which we check so a
truncated copy is refused rather than imported short. Tweets carry no ids on the page, so each gets a
stable id derived from its author, time and text: re-importing the page stores nothing new.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from transcripts.errors import RecordError
from transcripts.importers.base import ImportedEvent, ImportedPrompt, ImportOptions
from transcripts.importers.questions import question_number
from transcripts.importers.wecommunities_details import published_totals
from transcripts.input_checks import plausible_time
from transcripts.message import Author, Message

# Windows time-zone names as WeCommunities prints them, to the IANA zones they mean.
WINDOWS_ZONES = {
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Irish Standard Time": "Europe/Dublin",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Pacific Standard Time": "America/Los_Angeles",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "New Zealand Standard Time": "Pacific/Auckland",
}

TITLE_RE = re.compile(
    r"^(?P<hashtag>#\w+)\s+-\s+\w+day\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Za-z]+)\s+"
    r"(?P<year>\d{4})\s+(?P<time>\d{1,2}(?::\d{2})?\s*[ap]m)\s+\((?P<zone>[^)]+)\)\s*(?P<title>.*)$",
    re.IGNORECASE,
)
HOSTED_RE = re.compile(r"^Hosted by\s+@?(?P<host>\w+)\s+using\s+(?P<hashtag>#\w+)", re.IGNORECASE)
QUESTION_RE = re.compile(r"^(?P<n>\d{1,2})\)\s*(?P<text>.+)$")
HANDLE_RE = re.compile(r"^@(?P<handle>\w{1,30})$")
DATEISH_RE = re.compile(r"^\d{1,2}\s+\S+\s+\d{2,4}\b")
ENTRY_TIME_FORMAT = "%d %B %Y %H:%M"
STATS_RE = re.compile(r"^Total (?P<what>contributers|contributors|tweets|reach):\s*(?P<n>[\d,]+)$", re.I)
MAX_STAT_DIGITS = 15  # a footer figure longer than this is not a count of people or tweets
MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,30})")
HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w+)")
URL_RE = re.compile(r"https?://\S+")
STATUS_URL_RE = re.compile(r"https?://(?:mobile\.)?(?:twitter|x)\.com/\w+/status/(\d+)")
PLATFORM = "x"
CHAT_LENGTH = timedelta(hours=1)


def looks_like(text: str) -> bool:
    """True when the text has the page's title line and a transcript section."""
    head = text[:2000].lstrip()
    first = head.split("\n", 1)[0].strip()
    return bool(TITLE_RE.match(first)) and re.search(r"^\s*#\w+ transcript\s*$", text, re.M) is not None


def _lines(text: str) -> list[str]:
    return [line.replace("\xa0", " ").rstrip() for line in text.splitlines()]


def _parse_start(line: str, where: str) -> tuple[str, datetime, str, str]:
    m = TITLE_RE.match(line.strip())
    if not m:
        raise RecordError(
            where,
            "first line is not a chat title like '#WeHCMs - Tuesday 25th February 2020 8pm (GMT Standard Time) Topic'",
        )
    zone_name = m["zone"].strip()
    iana = WINDOWS_ZONES.get(zone_name, zone_name)
    try:
        zone = ZoneInfo(iana)
    except (KeyError, ValueError, OSError):  # OSError: a name like "Europe" is a folder of the zone database
        raise RecordError(where, f"unknown time zone {zone_name!r}") from None
    time_text = m["time"].replace(" ", "").lower()
    fmt = "%I:%M%p" if ":" in time_text else "%I%p"
    try:
        clock = datetime.strptime(time_text, fmt).time()
        day = datetime.strptime(f"{m['day']} {m['month']} {m['year']}", "%d %B %Y").date()
    except ValueError:
        raise RecordError(where, f"date or time in the title does not parse: {line.strip()!r}") from None
    starts = datetime.combine(day, clock, tzinfo=zone)
    plausible_time(starts, where, "chat start")
    return m["hashtag"], starts, iana, m["title"].strip()


def _entry_id(handle: str, when: datetime, text: str, seen: Counter[str]) -> str:
    digest = hashlib.sha1(f"{handle.lower()}|{when.isoformat()}|{text}".encode()).hexdigest()[:20]
    seen[digest] += 1
    return f"wc-{digest}" if seen[digest] == 1 else f"wc-{digest}-{seen[digest]}"


def parse(text: str, source: str, options: ImportOptions | None = None) -> ImportedEvent:
    """Parse a chat page; raises RecordError naming the file and line of the first problem."""
    lines = _lines(text)
    if not any(line.strip() for line in lines):
        raise RecordError(source, "file is empty")
    first_index = next(i for i, line in enumerate(lines) if line.strip())
    hashtag, starts, zone_name, title = _parse_start(lines[first_index], f"{source}:{first_index + 1}")
    zone = ZoneInfo(zone_name)

    host: str | None = None
    topic_lines: list[str] = []
    questions: dict[int, str] = {}
    transcript_at: int | None = None
    in_details = False
    for i, raw_line in enumerate(lines[first_index + 1 :], start=first_index + 1):
        line = raw_line.strip()
        if re.fullmatch(r"#\w+ transcript", line):
            transcript_at = i
            break
        hosted = HOSTED_RE.match(line)
        if hosted:
            host = hosted["host"]
            in_details = True
            continue
        q = QUESTION_RE.match(line)
        if q and in_details:
            questions[int(q["n"])] = q["text"].strip()
            continue
        if in_details and line and not questions:
            topic_lines.append(line)
    if transcript_at is None:
        raise RecordError(source, "no '#Hashtag transcript' section: not a complete chat page")

    messages, footer = _parse_transcript(lines, transcript_at + 1, source, zone, hashtag)
    if not messages:
        raise RecordError(f"{source}:{transcript_at + 1}", "transcript has no entries")
    if footer is None:
        raise RecordError(f"{source}:{len(lines)}", "no Stats footer after the transcript: the page looks truncated")
    stated = footer.get("tweets")
    if stated is not None and stated != len(messages):
        raise RecordError(
            f"{source}:{len(lines)}",
            f"footer says {stated} tweets but the transcript has {len(messages)}: the page looks truncated",
        )
    prompts = _question_prompts(questions, messages, host)
    return ImportedEvent(
        kind="chat",
        title=(options.title if options else None) or title or hashtag,
        topic=" ".join(topic_lines) or None,
        hashtag=hashtag,
        host=host,
        starts_at=starts.astimezone(ZoneInfo("UTC")),
        ends_at=(starts + CHAT_LENGTH).astimezone(ZoneInfo("UTC")),
        timezone=zone_name,
        source=Path(source).name,
        platform=PLATFORM,
        prompts=prompts,
        messages=messages,
        published_totals=published_totals(text),
    )


def _parse_transcript(
    lines: list[str], start: int, source: str, zone: ZoneInfo, hashtag: str
) -> tuple[list[Message], dict[str, int] | None]:
    entries: list[tuple[int, str, datetime, list[str]]] = []
    footer: dict[str, int] | None = None
    i = start
    while i < len(lines):
        line = lines[i].strip()
        handle_match = HANDLE_RE.match(line)
        next_line = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if handle_match and DATEISH_RE.match(next_line):
            try:
                local = datetime.strptime(next_line, ENTRY_TIME_FORMAT)
            except ValueError:
                raise RecordError(f"{source}:{i + 2}", f"date does not parse: {next_line!r}") from None
            when = local.replace(tzinfo=zone)
            plausible_time(when, f"{source}:{i + 2}", f"post by @{handle_match['handle']}")
            entries.append((i + 1, handle_match["handle"], when, []))
            i += 2
            continue
        if handle_match and i + 1 >= len(lines):
            raise RecordError(f"{source}:{i + 1}", "entry has an author but no date: the page looks truncated")
        if line == "Stats":
            footer = {}
            for k, later in enumerate(lines[i + 1 :], start=i + 2):
                stat = STATS_RE.match(later.strip())
                if stat:
                    if len(stat["n"]) > MAX_STAT_DIGITS:
                        raise RecordError(f"{source}:{k}", f"footer figure {stat['n'][:20]}… is not a count")
                    key = "contributors" if stat["what"].lower().startswith("contribut") else stat["what"].lower()
                    footer[key] = int(stat["n"].replace(",", ""))
            break
        if entries:
            entries[-1][3].append(lines[i])
        i += 1

    seen: Counter[str] = Counter()
    messages: list[Message] = []
    last_by_handle: dict[str, str] = {}
    for line_no, handle, when, body_lines in entries:
        body = "\n".join(body_lines).strip()
        if not body:
            raise RecordError(f"{source}:{line_no}", f"entry by @{handle} has no text: the page looks truncated")
        message_id = _entry_id(handle, when, body, seen)
        is_repost = body.startswith("RT @")
        mentions = tuple(dict.fromkeys(MENTION_RE.findall(body)))
        leading = re.match(r"^(?:@\w+\s+)+", body)
        reply_handle = MENTION_RE.findall(leading.group(0))[0] if leading and not is_repost else None
        quote = STATUS_URL_RE.search(body)
        raw: dict[str, object] = {
            "source": "wecommunities",
            "line": line_no,
            "handle": handle,
            "local_time": when.strftime(ENTRY_TIME_FORMAT),
        }
        if reply_handle:
            raw["in_reply_to_handle"] = reply_handle
            # The page has no reply ids: we link to that person's latest earlier post, and say so.
            raw["reply_to_inferred"] = True
        messages.append(
            Message(
                platform=PLATFORM,
                id=message_id,
                channel=hashtag,
                author=Author(platform=PLATFORM, id=handle.lower(), handle=handle),
                text=body,
                created_at=when,
                reply_to=last_by_handle.get(reply_handle.lower()) if reply_handle else None,
                quote_of=quote.group(1) if quote and not is_repost else None,
                is_repost=is_repost,
                mentions=mentions,
                hashtags=tuple(dict.fromkeys("#" + h for h in HASHTAG_RE.findall(body))),
                urls=tuple(URL_RE.findall(body)),
                raw=raw,
            )
        )
        last_by_handle[handle.lower()] = message_id
    return messages, footer


def _question_prompts(questions: dict[int, str], messages: list[Message], host: str | None) -> list[ImportedPrompt]:
    """The numbered questions, each matched to the host's post that asked it (first one wins)."""
    asked: dict[int, Message] = {}
    for message in messages:
        if message.is_repost or (host and message.author.handle.lower() != host.lower()):
            continue
        if message.text.startswith("@"):
            continue
        number = question_number(message.text)
        if number is not None and number not in asked:
            asked[number] = message
    prompts = []
    for number in sorted(set(questions) | set(asked)):
        post = asked.get(number)
        prompts.append(
            ImportedPrompt(
                number=number,
                text=questions.get(number) or (post.text if post else ""),
                posted_at=post.created_at if post else None,
                due_at=post.created_at if post else None,
                message_id=post.id if post else None,
            )
        )
    return prompts
