"""What /oncall and /incidents answer: plain text in the reader's language, with figures people read.

The reader holds a phone and wants two things: who has it and until when (so they know
whom to call after the hand-over), and how each recent incident stands, in words
("übernommen von Ben, 21:04"), not in the store's field values ("acknowledged · 184 / 4").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from warner.core import BERLIN, Language, Recipient
from warner.incidents.lifecycle import Response, state_line
from warner.incidents.model import Incident
from warner.notify.telegram import texts
from warner.notify.telegram.render import BUCKET_S, format_day, volume_line

LOOKAHEAD = timedelta(days=14)  # how far /oncall looks for the next shift when nobody is on call


@dataclass(frozen=True, slots=True)
class ScheduleNow:
    """One on-call schedule at a moment, as /oncall shows it; times in the schedule's own zone."""

    schedule: str  # the schedule's label
    on_call: tuple[str, datetime] | None  # who is on call (name) and until when (the hand-over)
    next: tuple[str, datetime] | None = None  # else who comes next (name) and from when, within the lookahead


# Who is on call at ``now`` in each schedule, looking ``lookahead`` ahead for the next shift when
# nobody is; no schedules at all is an empty list. Supplied by the composition (``warner/paging.py``)
# from the on-call schedules, so notify does not import them.
WhoIsOnCall = Callable[[datetime, timedelta], Sequence[ScheduleNow]]


def oncall_text(who_is_on_call: WhoIsOnCall, now: datetime, language: Language) -> str:
    """Per schedule: who is on call and until when (the hand-over), or who comes next and from when."""
    schedules = who_is_on_call(now, LOOKAHEAD)
    if not schedules:
        return texts.text(language, "oncall_none")
    lines = [texts.text(language, "oncall_title")]
    for s in schedules:
        if s.on_call is not None:
            person, until = s.on_call
            lines.append(
                texts.text(language, "oncall_shift", schedule=s.schedule, person=person, until=_moment(until, language))
            )
        elif s.next is not None:
            person, start = s.next
            lines.append(
                texts.text(
                    language, "oncall_nobody_next", schedule=s.schedule, person=person, start=_moment(start, language)
                )
            )
        else:
            lines.append(texts.text(language, "oncall_nobody", schedule=s.schedule, days=LOOKAHEAD.days))
    return "\n".join(lines)


def incidents_text(
    incidents: Sequence[tuple[Incident, Response | None]],
    language: Language,
    *,
    people: Callable[[str], Recipient | None],
    brand_names: Mapping[str, str] | None = None,
    tz: ZoneInfo = BERLIN,
    bucket_s: float = BUCKET_S,
) -> str:
    """Newest first, three lines each: id, brand and severity; the response state; how loud it was."""
    if not incidents:
        return texts.text(language, "incidents_none")
    blocks = [texts.text(language, "incidents_title")]
    for incident, response in incidents:
        brand = (brand_names or {}).get(incident.brand, incident.brand)
        head = f"{incident.id} · {brand} · {texts.SEVERITY_WORD[language][incident.severity]}"
        # no response state yet: the pager has not seen it (or it has no route); nobody has acted on it
        state = state_line(response or Response(incident.id, "open", incident.started_at), language, people, tz)
        if incident.status == "closed" and incident.ended_at:
            ended = datetime.fromtimestamp(incident.ended_at, tz)
            state += " · " + texts.text(language, "closed", time=f"{ended:%H:%M}")
        started = datetime.fromtimestamp(incident.started_at, tz)
        since = texts.text(language, "since", time=f"{started:%H:%M}", date=format_day(started, language))
        blocks.append(f"{head}\n{state}\n{volume_line(incident, language, bucket_s)} · {since}")
    return "\n\n".join(blocks)


def _moment(when: datetime, language: Language) -> str:
    """'Fr 05.06. 08:00' (de) or 'Fri 5 Jun 08:00' (en)."""
    return f"{format_day(when, language)} {when:%H:%M}"
