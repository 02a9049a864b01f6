"""The shipped playbooks: they pass the check, and each crisis type is recognised from a storm's mentions.

The mention sets below were written for this test, not copied from the playbooks' examples:
a storm as people post it, German and English, several voices per set.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warner.config.root import Config
from warner.respond.loader import default_playbooks_dir, load_playbooks
from warner.respond.matching import Matcher
from warner.respond.render import Responder

STORMS: dict[str, dict[str, list[str]]] = {
    "product_defect": {
        "de": [
            "In meinem Joghurt war ein Stück Plastik, mein Kind hat fast draufgebissen!!",
            "Gibt es schon einen Rückruf? Bei uns ist die gleiche Charge im Kühlschrank",
            "Die Marmelade ist schimmelig obwohl MHD noch drei Wochen hin ist 🤢",
            "Hab mich an der Dose geschnitten, der Rand ist total scharfkantig. Gefährlich!",
            "Wann warnt die Firma endlich offiziell? Das Produkt steht immer noch im Regal",
        ],
        "en": [
            "Found a piece of metal in my cereal this morning. My daughter nearly swallowed it",
            "Is there a recall yet? Same batch number in my cupboard",
            "The kettle cable melted after two days. This is a fire hazard",
            "Mould inside a sealed jar, best before is next month. Disgusting",
            "Why is this still on the shelves? People could get hurt",
        ],
    },
    "service_outage": {
        "de": [
            "Seit heute Morgen geht der Onlineshop nicht, immer nur Fehler 503",
            "App stürzt beim Bezahlen ab, schon der dritte Versuch 🙄",
            "Hotline seit einer Stunde in der Warteschleife, keiner geht ran",
            "Ist bei euch auch die Seite down? Login klappt nicht",
            "Lieferung sollte gestern kommen, Tracking zeigt seit Tagen nichts",
        ],
        "en": [
            "Your website has been down all morning, can't log in at all",
            "App keeps crashing at checkout. Is anyone else getting this?",
            "On hold for 50 minutes and the line just drops",
            "Status page says everything is fine but nothing loads",
            "Order stuck in processing for a week, tracking not updating",
        ],
    },
    "data_leak": {
        "de": [
            "Ich habe eine Mail bekommen mit den Kundendaten von jemand anderem drin. Datenschutz??",
            "Angeblich wurden Kundendaten gehackt, wann informiert ihr die Betroffenen?",
            "Meine Adresse und Bestellhistorie stehen in einem Forum. Woher haben die das?",
            "Datenleck bei dem Laden, ich habe jetzt Phishing-Mails mit meinem Namen",
            "DSGVO gilt auch für euch. Wer hatte Zugriff auf meine Daten?",
        ],
        "en": [
            "I just got an email containing another customer's personal data. Privacy breach?",
            "Reports say your customer database was hacked. When will you notify people?",
            "My password from your shop showed up in a breach list",
            "Got a phishing mail with my order number in it. Data leak?",
            "Who had access to my data? GDPR applies to you too",
        ],
    },
    "marketing_misstep": {
        "de": [
            "Wer hat sich diese Werbung ausgedacht? Total sexistisch",
            "Das neue Plakat ist rassistisch, wie kann so was durch die Freigabe kommen",
            "Geschmacklose Kampagne, sich über Pflegekräfte lustig zu machen",
            "Euer Instagram-Post gestern war echt daneben, löscht das",
            "Peinlicher Werbespot, ich schäme mich fremd",
        ],
        "en": [
            "Who approved this ad? It's blatantly sexist",
            "Your new billboard is racist, how did this get past anyone",
            "Tasteless campaign mocking nurses. Take it down",
            "That tweet from your account yesterday was so tone deaf",
            "Cringe commercial, honestly offensive",
        ],
    },
    "employee_misconduct": {
        "de": [
            "Der Fahrer hat mich angeschrien und das Paket über den Zaun geworfen",
            "Eure Verkäuferin hat eine rassistische Bemerkung gemacht, ich bin fassungslos",
            "Video aus der Filiale: Mitarbeiter beleidigt Kundin. Was sagt die Firma dazu?",
            "Der Monteur war unverschämt und hat uns beschimpft",
            "So behandelt euer Personal Rollstuhlfahrer? Unglaublich respektlos",
        ],
        "en": [
            "Your delivery driver screamed at me and threw the parcel over the fence",
            "A member of your staff made a racist comment to my mum",
            "Video from your store shows an employee insulting a customer",
            "The technician was incredibly rude and swore at us",
            "Is this how your staff treat wheelchair users? Disgraceful",
        ],
    },
    "price_billing": {
        "de": [
            "Zweimal abgebucht und keiner meldet sich. Abzocke!",
            "Preiserhöhung von 20 % ohne Ankündigung, ich kündige",
            "Weniger drin, gleicher Preis. Mogelpackung des Jahres",
            "Die Rechnung ist falsch, ich soll für einen Monat doppelt zahlen",
            "Versteckte Gebühren beim Bezahlen, echt frech",
        ],
        "en": [
            "Charged twice and nobody answers my emails. Scam",
            "Prices up 20% overnight without notice. I'm cancelling",
            "Less in the pack, same price. Shrinkflation at its finest",
            "My invoice is wrong, you billed me for two months",
            "Hidden fees at checkout, shameless",
        ],
    },
    "rumour": {
        "de": [
            "Stimmt es, dass die Firma pleite ist? Hab das in einer WhatsApp-Gruppe gelesen",
            "Angeblich ist Glyphosat im Bier, weiß jemand ob das stimmt?",
            "Der Screenshot mit dem Statement vom Chef ist doch gefälscht oder?",
            "Überall heißt es, die schließen alle Filialen. Fake news?",
            "Quelle? Ich finde nirgends eine Bestätigung für das Gerücht",
        ],
        "en": [
            "Is it true the company is going bankrupt? Saw it in a group chat",
            "Heard there's glyphosate in their beer, can anyone confirm?",
            "That screenshot of the CEO's statement is fake, right?",
            "People are saying they're closing every store. Fake news?",
            "Source? I can't find any confirmation of this rumour",
        ],
    },
    "viral_complaint": {
        "de": [
            "Das Video von der Kundin, die im Laden rausgeworfen wurde, hat schon 2 Mio Aufrufe",
            "Ich teile das mal: so geht man bei denen mit einer Beschwerde um",
            "Die Rezension ist viral gegangen, und die Firma sagt immer noch nichts",
            "Hab den Thread gelesen. Nie wieder kaufe ich da",
            "Retweet: unglaubliche Geschichte über den Kundenservice",
        ],
        "en": [
            "The video of that customer being thrown out has two million views",
            "Sharing this: this is how they handle a complaint",
            "That review went viral and the company still hasn't said anything",
            "Read the whole thread. Never buying from them again",
            "RT: unbelievable story about their customer service",
        ],
    },
    "boycott_controversy": {
        "de": [
            "Boykott! Die Firma spendet an diese Partei",
            "Der Inhaber hat sich öffentlich gegen Flüchtlinge geäußert. Ich kaufe da nichts mehr",
            "Kinderarbeit bei den Zulieferern? Dann bitte boykottieren",
            "Warum sponsert ihr so ein Event? Das passt nicht zu euren Werten",
            "Aufruf zum Boykott, teilt das",
        ],
        "en": [
            "Boycott! The company donates to that party",
            "The owner spoke out against refugees. I'm not buying there anymore",
            "Child labour in their supply chain? Then boycott them",
            "Why are you sponsoring that event? Doesn't fit your values",
            "Calling for a boycott, please share",
        ],
    },
    "influencer_attack": {
        "de": [
            "Die Influencerin mit 800k Followern hat gerade ein Video gegen die Marke gemacht",
            "Ihre Story über die Firma geht durch die Decke, alle Kommentare voll Hass",
            "Der YouTuber behauptet, die Produkte seien Betrug, und seine Community springt drauf an",
            "Was hat der Streamer gegen euch? Er hetzt seine Follower auf",
            "Nach dem TikTok von ihr hagelt es 1-Stern-Bewertungen",
        ],
        "en": [
            "An influencer with 800k followers just posted a video trashing the brand",
            "Her story about the company is blowing up, the comments are brutal",
            "The YouTuber claims the products are a scam and his fans are piling on",
            "What does that streamer have against you? He's sending his followers after you",
            "After her TikTok the one-star reviews are flooding in",
        ],
    },
}


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    directory = default_playbooks_dir()
    assert directory is not None and len(list(directory.glob("*.yaml"))) >= 10
    return Matcher(load_playbooks(directory))


def test_the_shipped_playbooks_cover_ten_crisis_types() -> None:
    ids = set(load_playbooks(default_playbooks_dir()).playbooks)
    assert set(STORMS) <= ids


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("crisis", list(STORMS))
def test_a_storm_is_matched_to_its_crisis_type_with_a_reason(matcher, crisis, language) -> None:
    matches = matcher.rank(STORMS[crisis][language])
    assert matches, "nothing matched"
    assert matches[0].playbook.id == crisis, [(m.playbook.id, round(m.score, 2)) for m in matches[:3]]
    assert matches[0].reason(language)


def test_everyday_chatter_gets_the_generic_holding_statement_only() -> None:
    chatter = ["Schönes Wochenende allen!", "Das Wetter in München ist heute herrlich", "Wer kommt mit ins Kino?"]
    drafts = Responder.from_config(Config()).rank_drafts(
        None, chatter, "de", datetime(2026, 11, 21, 22, 0, tzinfo=UTC), brand="kesselberg"
    )
    assert drafts and {d.playbook_id for d in drafts} == {"generic"}


@pytest.mark.parametrize(
    ("now", "language", "promise"),
    [
        (datetime(2026, 11, 21, 20, 14, tzinfo=UTC), "de", "Montag, 23.11., 8:00 Uhr"),  # Saturday night
        (datetime(2026, 12, 24, 19, 0, tzinfo=UTC), "de", "Montag, 28.12., 8:00 Uhr"),  # Christmas, weekend
        (datetime(2026, 5, 24, 18, 0, tzinfo=UTC), "en", "Tuesday 26 May, 8:00"),  # Whit Sunday and Monday
    ],
)
def test_off_hours_holding_statement_promises_the_next_business_morning(now, language, promise) -> None:
    storm = STORMS["product_defect"][language]
    drafts = Responder.from_config(Config()).rank_drafts(None, storm, language, now, brand="kesselberg")
    first = drafts[0]
    assert (first.playbook_id, first.purpose) == ("product_defect", "holding")
    assert promise in first.text
