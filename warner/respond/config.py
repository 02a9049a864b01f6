"""The ``respond:`` section: where the playbooks live, business hours and each brand's contact.

Only pydantic and warner.config's base types: warner.config.root imports this module to type
``Config.respond``, so nothing heavy (Jinja2, scikit-learn) may be imported here.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol

from pydantic import BeforeValidator, Field, field_validator, model_validator

from warner.config.common import WEEKDAYS, Duration, Section, TimeOfDay, TimeZoneName, Weekday
from warner.core import Language
from warner.ingest.config import BrandConfig

LANGS: tuple[Language, ...] = ("de", "en")


def _both_languages(value: Any) -> Any:
    """A plain string means the same text in both languages."""
    if isinstance(value, str):
        return {"de": value, "en": value}
    return value


Localized = Annotated[dict[Language, str], BeforeValidator(_both_languages)]


class BusinessHours(Section):
    """When someone answers: the same opening time on each listed weekday, local time."""

    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS[:5]), min_length=1, description="Weekdays with business hours."
    )
    opens: TimeOfDay = Field(time(8), description='Local opening time, e.g. "08:00" (quoted).')
    closes: TimeOfDay = Field(time(18), description="Local closing time, after opens on the same day.")

    @model_validator(mode="after")
    def _opens_before_closing(self) -> BusinessHours:
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes:%H:%M}) must be after opens ({self.opens:%H:%M}) on the same day")
        return self

    @property
    def weekdays(self) -> frozenset[int]:
        """Python weekday numbers (Monday = 0)."""
        return frozenset(WEEKDAYS.index(d) for d in self.days)


_PLACEHOLDERS: dict[str, dict[Language, str]] = {
    "email": {"de": "[E-Mail-Adresse]", "en": "[email address]"},
    "phone": {"de": "[Telefonnummer]", "en": "[phone number]"},
    "dm": {"de": "per Direktnachricht", "en": "via direct message"},
    "url": {"de": "[Website]", "en": "[website]"},
}


class Contact(Section):
    """How people reach the brand; unset fields fall back to ``contacts.default``, then to a visible placeholder."""

    email: str | None = Field(None, description="Email address the drafts give.")
    phone: str | None = Field(None, description="Phone number the drafts give.")
    dm: Localized | None = Field(None, description='e.g. {de: "per Direktnachricht", en: "via direct message"}')
    url: str | None = Field(None, description="Website the drafts point to.")
    signature: Localized | None = Field(
        None, description='e.g. {de: "Ihr Kesselberg-Team", en: "Your Kesselberg team"}'
    )


class RespondConfig(Section):
    """The ``respond:`` section (first public answers to an incident)."""

    playbooks_dir: Path | None = Field(None, description="Directory of playbook YAML files; default: the repo's.")
    business_hours: BusinessHours = Field(BusinessHours(), description="When someone answers the brand's messages.")
    time_zone: TimeZoneName = Field("Europe/Berlin", description="Zone of the business hours and holidays.")
    state: str | None = Field(None, description="German federal state for regional holidays, e.g. BY.")
    reply_within: Duration = Field(
        timedelta(hours=2), description="Inside business hours, drafts promise news this soon (capped at closing)."
    )
    service_hours: Localized | None = Field(None, description="Text for {{ service_hours }}; default: from the hours.")
    contacts: dict[str, Contact] = Field(default_factory=dict, description="Brand name (or 'default') -> contact.")

    @field_validator("state")
    @classmethod
    def _german_state(cls, state: str | None) -> str | None:
        if state is None:
            return None
        from holidays.countries.germany import Germany

        for known in Germany.subdivisions:
            if known.upper() == state.strip().upper():
                return known
        raise ValueError(f"unknown German federal state {state!r}; one of {', '.join(Germany.subdivisions)}")

    @field_validator("reply_within")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("reply_within must be positive, e.g. 2h")
        return value

    def contact(self, brand: str, lang: Language) -> dict[str, str]:
        """The brand's contact fields in ``lang``, each falling back to the default entry, then a placeholder."""
        chain = [c for c in (self.contacts.get(brand), self.contacts.get("default")) if c is not None]
        out = {}
        for name, placeholder in _PLACEHOLDERS.items():
            value = next((getattr(c, name) for c in chain if getattr(c, name) is not None), None)
            out[name] = value[lang] if isinstance(value, dict) else (value or placeholder[lang])
        return out

    def signature(self, brand: str, display_name: str, lang: Language) -> str:
        chain = [c for c in (self.contacts.get(brand), self.contacts.get("default")) if c is not None]
        value = next((c.signature for c in chain if c.signature is not None), None)
        if value is not None:
            return value[lang]
        return f"Ihr {display_name}-Team" if lang == "de" else f"Your {display_name} team"


class RespondSettings(Protocol):
    """What drafting reads of warner's config: its own section and the brands. The root ``Config`` is one."""

    @property
    def respond(self) -> RespondConfig: ...

    @property
    def brands(self) -> list[BrandConfig]: ...
