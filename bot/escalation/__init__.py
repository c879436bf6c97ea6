"""SBAR escalations with acknowledge/resolve and timed re-escalation, and the team's escalation level."""
