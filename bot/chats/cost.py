"""What a chat costs on X's pay-per-use API: estimated before it runs, and as actually read and written.

Prices are settings (`X_PRICE_*`, read on `X_PRICES_AS_OF`). X bills each post and user returned by a
read and each post created, a post with a link at a higher price (the close carries the chat page's
link). X says re-reads of the same post within one UTC day are billed once (a soft guarantee), so
the estimate counts each post once a day: once for capture on the chat's day, and once for each
day's deletion re-check after it (X's developer terms require removing posts their authors deleted).
The actual figures are what the worker counted: every post and user returned, re-reads included,
so they are an upper bound on the bill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.chat_definition import ChatDefinition
from config.settings import Settings

POSTS_PER_CONTRIBUTOR = 12  # the seed chat: 171 posts from 14 people
_LINK = re.compile(r"https?://|\{page_url\}")


@dataclass(frozen=True)
class XUsage:
    posts_created: int = 0
    posts_created_with_url: int = 0
    posts_read: int = 0
    users_read: int = 0

    def dollars(self, settings: Settings) -> float:
        return round(
            self.posts_created * settings.x_price_post_created_usd
            + self.posts_created_with_url * settings.x_price_post_created_with_url_usd
            + self.posts_read * settings.x_price_post_read_usd
            + self.users_read * settings.x_price_user_read_usd,
            2,
        )


def x_cost_estimate(definition: ChatDefinition, settings: Settings) -> XUsage | None:
    """What this chat will likely use on X, or None if it does not run on X."""
    if "x" not in definition.platforms:
        return None
    prompts = [definition.welcome, *(q.text for q in definition.questions), *(r.text for r in definition.reminders)]
    prompts.append(definition.closing)
    with_url = sum(1 for text in prompts if _LINK.search(text))
    posts = definition.expected_posts + len(prompts)  # our own posts come back in the search too
    contributors = max(1, definition.expected_posts // POSTS_PER_CONTRIBUTOR)
    rechecks = settings.deleted_check_days  # one lookup of every post a day after the chat
    return XUsage(
        posts_created=len(prompts) - with_url,
        posts_created_with_url=with_url,
        posts_read=posts * (1 + rechecks),
        users_read=contributors,
    )
