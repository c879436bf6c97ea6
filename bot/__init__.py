"""The running bot: platforms, scheduling, the chat and huddle flows, the CLI and the web app.

Everything platform-specific lives under `bot.platforms` behind one `Platform` protocol; the flows
only ever see `transcripts.Message` records, so a chat runs the same on X, Bluesky or the embedded
local platform, and a huddle's record is analysed exactly like a chat's.
"""

import logging

# These clients log whole requests and responses at DEBUG: bot tokens from Slack's OAuth exchange, a
# bearer token's use, huddle notes read back from a channel. Held at INFO here, once for the package,
# so turning on debug logging can never write a secret or a patient note to a log.
for _library in ("slack_sdk", "slack_bolt", "tweepy"):
    logging.getLogger(_library).setLevel(logging.INFO)
