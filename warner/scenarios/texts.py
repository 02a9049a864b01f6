"""Everyday talk about each brand, and posts that only look like it.

Everyday talk is mostly neutral or friendly with a share of ordinary gripes (a sour
cream, a late bus): about one post in eight is negative on a normal day, as in real
brand monitoring. Look-alikes mention an excluded term ("Kesselberg-Tunnel") or a near
miss that no alias matches ("Kesselbergstraße", "Zimmer mit Bergblick, Reisen …").
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from warner.scenarios.records import Post
from warner.scenarios.scenario import BRAND, LOOKALIKE, NEIGHBOUR


@dataclass(frozen=True, slots=True)
class Chatter:
    """What people say about one brand on an ordinary day."""

    calm: tuple[str, ...]
    gripes: tuple[str, ...]
    lookalikes: tuple[str, ...]
    gripe_share: float = 0.12

    def everyday(self, rng: random.Random, minute: int = 0) -> Post:
        """A post about the scenario's own brand."""
        return Post(self._text(rng), BRAND)

    def neighbour(self, rng: random.Random, minute: int = 0) -> Post:
        """A post about this brand in another brand's scenario."""
        return Post(self._text(rng), NEIGHBOUR)

    def lookalike(self, rng: random.Random, minute: int = 0) -> Post:
        return Post(rng.choice(self.lookalikes), LOOKALIKE)

    def _text(self, rng: random.Random) -> str:
        if rng.random() < self.gripe_share:
            return rng.choice(self.gripes)
        return rng.choice(self.calm)


_EVERYDAY = (
    "Samstagabend, Pizza und Krimi, was will man mehr",
    "Stau auf der A8 Richtung Salzburg, mal wieder",
    "Der Bus kommt heute wieder nicht, typisch",
    "Endlich Feierabend, jetzt erstmal Sofa",
)

KESSELBERG = Chatter(
    calm=(
        "Feierabend! Ein kühles Kesselberger Helles auf dem Balkon 🍺",
        "Hat jemand schon das neue Winterbock von Kesselberg probiert?",
        "Kesselberg Brauereiführung war super, kann ich empfehlen",
        "Im Getränkemarkt gibt es gerade Kesselberger im Angebot",
        "#kesselberg Radler ist mein Sommergetränk, auch im November 😄",
        "Wer liefert eigentlich Kesselberg nach Hamburg?",
        "Die Etiketten von @kesselberg_bier sind echt schön geworden",
        "Kesselberger Dunkel zum Braten, passt perfekt",
        "Ist das Kesselberg Hefeweizen eigentlich vegan?",
        "Tried Kesselberg lager in Munich, pretty good",
        "Kesselberger Pils im Biergarten, mehr braucht es nicht ☀️",
        "Heute Abend Grillen mit Kesselberger Hellem, wer kommt?",
        "Kesselberg Weißbier zum Weißwurstfrühstück, so muss Sonntag",
        "Welches Kesselberger passt am besten zu Schweinebraten?",
        "Die Brauerei Kesselberg sucht Azubis, falls jemand was sucht",
        "@kesselberg_bier gibt es das Festbier auch in der Dose?",
        "Kesselberger Alkoholfrei nach dem Lauf, top",
        "Kiste Kesselberger für die Geburtstagsfeier besorgt 🍻",
        "Kesselberg Zwickl ist echt unterschätzt",
        "Beim Stammtisch gibt es nur Kesselberger, Tradition ist Tradition",
        "Der Termin für das Kesselberg Brauereifest steht, wir sind dabei",
        "Kesselberg Bier in Berlin gefunden, wer hätte das gedacht",
        "#kesselberg Dunkel und Kartoffelsalat, Abendessen gerettet",
        "Great little brewery, Kesselberg. Their Helles is lovely",
        "Wo bekomme ich das Kesselberger Weihnachtsbier?",
    ),
    gripes=(
        "Kesselberger Radler schmeckt mir viel zu süß, leider",
        "Schon wieder kein Kesselberg Dunkel im Getränkemarkt, echt ärgerlich",
        "Der Pfandautomat nimmt die Kesselberg Kiste nicht, nervig",
        "Das neue Kesselberg Etikett finde ich hässlich, das alte war besser",
        "Kesselberger Pils war heute schal und abgestanden, echt schlecht",
        "19 Euro die Kiste Kesselberger, viel zu teuer, ärgerlich",
        "Kesselberg Festbier war enttäuschend, viel zu bitter",
    ),
    lookalikes=(
        "Kesselberg-Tunnel wegen Bauarbeiten am Wochenende gesperrt",
        "Unfall im Kesselberg-Tunnel, Rückstau bis zur Ausfahrt",
        "Motorradfahrer aufgepasst: die Kesselbergstraße ist ab Montag wieder frei",
        *_EVERYDAY,
    ),
)

BERGBLICK = Chatter(
    calm=(
        "Mit Bergblick Reisen nach Südtirol, alles bestens organisiert",
        "Hat jemand Erfahrung mit Bergblick Reisen? Lohnt sich die Wandertour?",
        "Katalog von @bergblickreisen ist angekommen, so viele schöne Ziele",
        "Bergblick Reisen Hotline heute sehr freundlich, danke!",
        "Busreise mit Bergblick Reisen an den Gardasee gebucht, ich freu mich",
        "Hat jemand die Wanderwoche im Allgäu von Bergblick Reisen gemacht?",
        "Im neuen Katalog von Bergblick Reisen ist diesmal auch Norwegen dabei",
        "@bergblickreisen gibt es noch Plätze für die Adventsfahrt nach Salzburg?",
        "Mit Bergblick Reisen in den Dolomiten, die Reiseleiterin war super",
        "Unsere Seniorengruppe fährt wieder mit Bergblick Reisen",
        "#bergblickreisen Frühbucherrabatt gilt bis Ende des Monats",
        "Bergblick Reisen hat die Stornierung problemlos erstattet, danke",
        "Weiß jemand, ob Bergblick Reisen auch ab Nürnberg fährt?",
        "Booked a hiking week with Bergblick Reisen, looks great",
    ),
    gripes=(
        "Die Hotline von Bergblick Reisen ist seit einer Stunde besetzt, nervt",
        "Bus von Bergblick Reisen 40 Minuten zu spät, ärgerlich",
        "Das Hotel von Bergblick Reisen war leider eine Enttäuschung, Zimmer dreckig",
        "Die Rückerstattung bei Bergblick Reisen dauert schon sechs Wochen, echt schlecht",
    ),
    lookalikes=(
        "Ferienwohnung mit Bergblick in Garmisch frei, Reisen im Herbst lohnt sich",
        "Zimmer mit Bergblick, Reisen im Oktober ist einfach schöner",
        "Hotel Bergblick am Tegernsee sucht Servicekräfte",
        *_EVERYDAY,
    ),
)

SONNENHOF = Chatter(
    calm=(
        "Sonnenhof Buttermilch ist im Sommer einfach das Beste",
        "Gibt es den Sonnenhof Bergkäse auch laktosefrei?",
        "Frühstück: Sonnenhof Joghurt mit Beeren und Haferflocken",
        "#sonnenhof Milch in der Glasflasche, endlich wieder Pfand statt Plastik",
        "Die Sonnenhof Molkerei hat einen Hofladen, der Käse dort ist super",
        "@sonnenhof_molkerei wann kommt der Eierlikör Joghurt wieder?",
        "Sonnenhof Quark für den Käsekuchen, gelingt immer",
        "Im Edeka gibt es jetzt auch Sonnenhof Heumilch",
        "Die Kinder lieben den Sonnenhof Trinkjoghurt Erdbeere",
        "Die Sonnenhof Molkerei zahlt den Bauern faire Preise, finde ich gut",
        "Sonnenhof Sahne auf dem Apfelkuchen, Sonntag perfekt",
        "Ist die Sonnenhof Milch eigentlich Weidemilch?",
        "Tag der offenen Tür bei der Sonnenhof Molkerei am Samstag, wir fahren hin",
        "Sonnenhof Butter ist teurer, aber schmeckt wirklich besser",
        "Love the Sonnenhof yoghurt, creamy and not too sweet",
    ),
    gripes=(
        "Sonnenhof Sahne war schon vor dem Haltbarkeitsdatum sauer, ärgerlich",
        "Der neue Sonnenhof Deckel lässt sich kaum öffnen, nervig",
        "Sonnenhof Joghurt Kirsche schmeckt künstlich und eklig süß",
        "Schon wieder keine Sonnenhof Heumilch im Regal, echt enttäuschend",
    ),
    gripe_share=0.15,
    lookalikes=(
        "Wellnesswochenende im Hotel Sonnenhof, traumhaft",
        "Gasthof Sonnenhof hat wieder Schnitzeltag",
        "Reiterhof Sonnenhof sucht Reitbeteiligung für unsere Stute",
        "Sonnenhofstraße wegen Wasserrohrbruch gesperrt",
        *_EVERYDAY,
    ),
)

HOFMANN = Chatter(
    calm=(
        "Neue Fenster von Hofmann Fenster eingebaut, endlich ist es ruhig im Schlafzimmer",
        "Angebot von Hofmann Fenster für sechs Fenster bekommen, klingt fair",
        "Weiß jemand, ob Hofmann Fenster auch Haustüren einbaut?",
        "Montage durch Hofmann-Fenster heute, pünktlich und sauber",
        "@hofmann_fenster seid ihr dieses Jahr auf der Baumesse?",
        "Hofmann Fenster hat beim Förderantrag für den Fenstertausch geholfen, super Service",
        "Dreifachverglasung von Hofmann Fenster, die Heizkosten sind merklich runter",
        "Beratung in der Ausstellung von Hofmann Fenster, sehr kompetent",
        "#hofmannfenster Holz-Alu oder Kunststoff, was meint ihr?",
        "Heute war das Aufmaß, Hofmann Fenster kommt in sechs Wochen",
        "Hofmann Fenster sucht Monteure, falls jemand Arbeit sucht",
        "Rollläden von Hofmann Fenster nachgerüstet, funktioniert prima",
        "Unsere Fenster von Hofmann Fenster sind 20 Jahre alt und immer noch dicht",
    ),
    gripes=(
        "Seit drei Wochen warte ich auf einen Rückruf von Hofmann Fenster, ärgerlich",
        "Hofmann Fenster hat den Liefertermin schon wieder verschoben, das nervt",
        "Der Monteur von Hofmann Fenster hat die Fensterbank zerkratzt, sehr ärgerlich",
    ),
    lookalikes=(
        "Gebäudereinigung Hofmann, Fensterreinigung zum Festpreis",
        "Praxis Dr. Hofmann bleibt wegen Fenstertausch bis Mittwoch geschlossen",
        "Baustelle in der Hofmannstraße, Sperrung bis Freitag",
        *_EVERYDAY,
    ),
    gripe_share=0.10,
)
