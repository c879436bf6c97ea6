"""Daily virtual huddles in Slack: definitions in the record, the open/remind/close flow, and its jobs."""
