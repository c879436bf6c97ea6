"""Hosting a chat: turn a definition into an event, post on schedule, capture, close with a chat page."""
