"""The web app: Slack's HTTP endpoints, the chat archive, live view, CPD logs and the huddle dashboard."""
