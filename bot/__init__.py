"""The running bot: platforms, scheduling, the chat and huddle flows, the CLI and the web app.

Everything platform-specific lives under `bot.platforms` behind one `Platform` protocol; the flows
only ever see `transcripts.Message` records, so a chat runs the same on X, Bluesky or the embedded
local platform, and a huddle's record is analysed exactly like a chat's.
"""
