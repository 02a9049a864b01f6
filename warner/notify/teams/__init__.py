"""Microsoft Teams: announcements to a team's channel through a Workflows incoming webhook (Adaptive Cards)."""
