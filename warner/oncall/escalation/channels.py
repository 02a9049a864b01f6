"""Which channels a page goes out on, in what order: the step's, the person's, the team's — minus quiet ones.

On-call tools split "whom" from "how": the escalation policy names people, each person says how
they want to be reached (PagerDuty's notification rules, Grafana OnCall's personal policies).
warner does the same: a step that names ``channels`` decides; otherwise a person's ``contact``
order does, a team's announcement channels for a team, ``[call]`` for a call step, else Telegram.

A channel can have quiet hours of its own ("no calls 23–7 unless it is critical"). Outside
critical pages, a channel in its quiet hours is left out; when every channel is quiet, the page
is held and tried again (as a person's own quiet hours hold it), never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warner.oncall.policy_config import EscalationStep


@dataclass(frozen=True, slots=True)
class Contact:
    """How a recipient wants to be reached: channels in order, and which of them are quiet right now."""

    order: tuple[str, ...] = ()
    quiet: frozenset[str] = frozenset()
    announcement: bool = False  # a team's channels: announced on all of them at once


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """The channels one page goes out on; empty ``channels`` with ``held_by_quiet`` = hold the page."""

    channels: list[str]
    delivery: Literal["failover", "all"]
    left_out: tuple[str, ...] = ()  # quiet channels skipped for this page

    @property
    def held_by_quiet(self) -> bool:
        return not self.channels and bool(self.left_out)


def plan_channels(step: EscalationStep, contact: Contact, critical: bool) -> ChannelPlan:
    """The channels and delivery mode of a page from ``step`` to a recipient reached as ``contact``."""
    if step.channels:
        order, delivery = list(step.channels), step.delivery
    elif step.call is not None:
        order, delivery = ["call"], step.delivery
    elif contact.order:
        order = list(contact.order)
        delivery = "all" if contact.announcement else step.delivery
    else:
        order, delivery = step.order, step.delivery
    if critical:
        return ChannelPlan(order, delivery)
    kept = [c for c in order if c not in contact.quiet]
    return ChannelPlan(kept, delivery, tuple(c for c in order if c in contact.quiet))
