"""Incidents: one per brand storm, with its numbers, top mentions and timeline."""

from warner.incidents.model import Incident, IncidentEvent, TopMention
from warner.incidents.store import IncidentStore

__all__ = ["Incident", "IncidentEvent", "IncidentStore", "TopMention"]
