"""Slack: announcements to a team's channel through an incoming webhook (Block Kit), and its signed buttons."""
