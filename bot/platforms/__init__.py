"""Platform adapters: X (tweepy), Bluesky (atproto), Slack (slack_sdk) and the embedded local platform."""
