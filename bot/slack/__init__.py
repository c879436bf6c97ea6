"""The Slack app: Bolt listeners, Block Kit and modals, the Home tab, and how tokens are found."""
