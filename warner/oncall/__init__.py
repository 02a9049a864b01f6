"""Who is on call, and how an incident escalates until somebody answers."""
