"""Incidents: the record of a storm (model), where it is kept (store), and how it moves (lifecycle)."""
