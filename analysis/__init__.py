"""What is computed from a record: counts, answers to questions, engagement, clouds, summaries, CPD logs.

Everything here is a pure function of a `transcripts.snapshot.EventSnapshot` (plus pictures written
with matplotlib's Agg backend), so the same analysis runs on a tweet chat, a Bluesky chat or a Slack
huddle, can be re-run on stored raw payloads, and never imports a platform SDK.
"""
