"""The record: what was said, by whom, when, in answer to what.

Every platform's posts arrive here as the same frozen `Message` and are stored through one capture
path (`transcripts.store`), unique per (platform, platform id) so a re-delivered event or an
overlapping poll never stores a post twice. Importers turn existing records (the WeCommunities chat
page, X API v2 JSON, Slack exports) into events in one transaction each; exporters write the record
back out as Markdown, CSV and JSON. Nothing here imports a platform SDK: payloads come in as plain data.
"""
