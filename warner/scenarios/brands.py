"""The fictional German Mittelstand brands the scenarios talk about, in ``BrandConfig``'s shape.

Kesselberg and Bergblick are configured exactly as in ``warner/example.yaml`` (the demo's
config). Sonnenhof and Hofmann are not in any shipped config: a test builds one from
``Scenario.brands``. Their aliases are what a social-media team would really configure,
ambiguities included ("Sonnenhof" is also a hotel, "Kesselberg" also a tunnel).
"""

from __future__ import annotations

from typing import Any

KESSELBERG: dict[str, Any] = {
    "name": "kesselberg",
    "display_name": "Brauerei Kesselberg",
    "aliases": ["Kesselberg", "Kesselberger", "@kesselberg_bier", "#kesselberg"],
    "exclude": ["Kesselberg-Tunnel"],
    "language": "de",
    "team": "social-media",
}

BERGBLICK: dict[str, Any] = {
    "name": "bergblick",
    "display_name": "Bergblick Reisen",
    "aliases": ["Bergblick Reisen", "@bergblickreisen", "#bergblickreisen"],
    "language": "de",
    "team": "social-media",
}

SONNENHOF: dict[str, Any] = {
    "name": "sonnenhof",
    "display_name": "Sonnenhof Molkerei",
    "aliases": ["Sonnenhof", "Sonnenhof Molkerei", "@sonnenhof_molkerei", "#sonnenhof"],
    "exclude": ["Hotel Sonnenhof", "Gasthof Sonnenhof", "Reiterhof Sonnenhof"],
    "language": "de",
    "team": "marketing",
}

HOFMANN: dict[str, Any] = {
    "name": "hofmann",
    "display_name": "Hofmann Fenster",
    "aliases": ["Hofmann Fenster", "@hofmann_fenster", "#hofmannfenster"],
    "language": "de",
    "team": "vertrieb",
}
