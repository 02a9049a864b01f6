"""Escalation: page people about an incident, step by step, until somebody answers.

An incident that opens is routed (severity x business/off hours) to a policy, which is
frozen into the incident's escalation hash: edits of the config apply to new incidents.
Each step runs from a durable timer (``timers.py``), so a restart continues an escalation
at the right moment and two engines never run the same step. A *generation* counter in the
escalation hash makes old timers harmless: an ack, a snooze or a restart bumps it, and a
timer of an older generation does nothing.

Noise control in Alertmanager's terms: ``group_wait`` before the first page (per
severity), updates of an incident edit the messages already sent (at most one edit round
per ``group_interval``), ``repeat_interval`` reminds everyone paged while nobody
acknowledges, a per-person ceiling per hour, and a flapping guard (an incident that keeps
re-opening gets updates only). Every delivery attempt and every decision not to page lands
in the incident timeline with a named reason.

Like Alertmanager's notify pipeline, one module per concern:

- ``engine.py``: ``EscalationEngine`` — events, responses, the timer loop, routing, paging;
- ``steps.py``: the step interpreter (pure): what a step does next, whom it targets;
- ``gates.py``: the page gates (once per timer, quiet hours, hourly ceiling, still open) and
  the flapping guard;
- ``updates.py``: edits of sent messages (group_interval);
- ``deliveries.py``: every delivery attempt into the timeline;
- ``state.py`` / ``store.py``: the escalation hash and timer payloads, typed, and their
  Redis reads and writes;
- ``protocols.py``: what the engine needs from the rest of warner (roster, sender).
"""

from warner.oncall.escalation.engine import MAX_ATTEMPTS, EscalationEngine
from warner.oncall.escalation.gates import PageRequest
from warner.oncall.escalation.protocols import AckCode, Directory, Sender

__all__ = ["MAX_ATTEMPTS", "AckCode", "EscalationEngine", "PageRequest", "Directory", "Sender"]
