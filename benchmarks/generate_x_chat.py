"""A realistic, deterministic X API v2 JSONL chat for benchmarks: twarc2 response pages of 100 posts.

Authors follow a Zipf-like activity curve with bios and follower counts; posts reply to earlier ones
(keeping conversation ids), mention people, repost (~10%), quote, carry the hashtag and links; a host
posts six numbered questions through the hour.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = (
    "escalation safety staffing handover patient risk support team culture sbar on call manager ward "
    "deteriorating news concern learning feedback flow discharge capacity skill mix huddle trust fear "
    "listen voice speak up clear expectations response time senior advice plan action owner review"
).split()
BIOS = (
    "Registered nurse", "Ward manager", "Physiotherapist", "Healthcare support worker", "Matron",
    "Student nurse", "Paramedic", "Occupational therapist", "Nurse educator", "Community nurse",
)  # fmt: skip


def generate(posts: int, path: Path, *, seed: int = 2020, authors: int = 2000) -> Path:
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, 19, 0, tzinfo=UTC)
    users = [
        {
            "id": str(10_000 + i),
            "username": f"user{i:05d}",
            "name": f"Person {i}",
            "description": f"{rng.choice(BIOS)} • {rng.choice(WORDS)} and {rng.choice(WORDS)} • views my own",
            "public_metrics": {"followers_count": int(rng.paretovariate(1.2) * 150)},
        }
        for i in range(authors)
    ]
    weights = [1 / (rank + 1) for rank in range(authors)]
    question_at = {int(posts * k / 7): k for k in range(1, 7)}
    tweets: list[dict[str, object]] = []
    for n in range(posts):
        tid = str(1_800_000_000_000_000_000 + n)
        when = start + timedelta(seconds=3600 * n / posts)
        entities: dict[str, object] = {"hashtags": [{"start": 0, "end": 9, "tag": "WeNurses"}]}
        tweet: dict[str, object] = {"id": tid, "created_at": when.isoformat().replace("+00:00", "Z")}
        if n in question_at:
            author = users[0]
            text = f"Q{question_at[n]}: what does {rng.choice(WORDS)} mean on your {rng.choice(WORDS)}? #WeNurses"
            conversation = tid
            refs: list[dict[str, str]] = []
        else:
            author = rng.choices(users, weights)[0]
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
            roll = rng.random()
            refs = []
            conversation = tid
            if tweets and roll < 0.10:
                target = rng.choice(tweets[-200:])
                text = f"RT @{target['_handle']}: {str(target['text'])[:100]}"
                refs = [{"type": "retweeted", "id": str(target["id"])}]
            elif tweets and roll < 0.55:
                target = rng.choice(tweets[-50:])
                text = f"@{target['_handle']} {words} #WeNurses"
                refs = [{"type": "replied_to", "id": str(target["id"])}]
                conversation = str(target["conversation_id"])
                entities["mentions"] = [{"start": 0, "end": 10, "username": target["_handle"]}]
            elif tweets and roll < 0.60:
                target = rng.choice(tweets[-100:])
                text = f"{words} #WeNurses https://t.co/{rng.randrange(16**8):08x}"
                refs = [{"type": "quoted", "id": str(target["id"])}]
                entities["urls"] = [{"url": f"https://t.co/{n:x}", "expanded_url": f"https://example.org/{n}"}]
            else:
                text = f"A{rng.randint(1, 6)} {words} #WeNurses"
        tweet.update(
            {
                "author_id": author["id"],
                "text": text,
                "conversation_id": conversation,
                "entities": entities,
                "lang": "en",
                "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": rng.randint(0, 9)},
                "_handle": author["username"],
            }
        )
        if refs:
            tweet["referenced_tweets"] = refs
        tweets.append(tweet)
    path.parent.mkdir(parents=True, exist_ok=True)
    by_id = {u["id"]: u for u in users}
    with path.open("w", encoding="utf-8") as fh:
        for i in range(0, len(tweets), 100):
            page = [{k: v for k, v in t.items() if k != "_handle"} for t in tweets[i : i + 100]]
            page_users = list({str(t["author_id"]): by_id[str(t["author_id"])] for t in page}.values())
            fh.write(json.dumps({"data": page, "includes": {"users": page_users}, "meta": {"result_count": len(page)}}))
            fh.write("\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/chat-50k.jsonl"))
    args = parser.parse_args()
    print(generate(args.posts, args.out))


if __name__ == "__main__":
    main()
