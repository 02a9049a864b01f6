"""Every Redis key warner uses, built in one place.

Layout (``{…}`` is a Redis Cluster hash tag: keys sharing it live in one slot, so a Lua
script may touch them together):

=====================================  ======  ==================================================
key                                    type    what
=====================================  ======  ==================================================
warner:{meta}:format                   string  the data format of everything stored here (an integer,
                                               store/data_format.py); absent: format 1
warner:{meta}:format:lock              string  lease of the one process migrating to a newer format
warner:{ingest}:mentions               stream  accepted mentions not yet processed (entry: m=JSON,
                                               t=received ms); an entry is deleted when acked, so
                                               XLEN is the backlog
warner:{ingest}:seen:<source>:<id>     string  dedupe marker of an accepted mention (TTL
                                               retention.dedupe); value = stream entry id
warner:{ingest}:dead                   stream  entries that could not be processed (m, t, reason)
warner:{ingest}:sig:<source>:<sig>     string  a signed request already accepted (replay guard,
                                               ingest/signing.py): hex HMAC; TTL 2x the source's
                                               signature_tolerance
warner:{ratelimit}:<source>            hash    GCRA state of the source's rate limits (ingest/
                                               ratelimit.py): field -> theoretical arrival time
                                               (µs) of "mentions" and "requests"; TTL until full
warner:{<brand>}:bucket:<epoch>        hash    counters of one bucket: mentions, negatives, toxic,
                                               reach, neg_reach (TTL retention.buckets)
warner:{<brand>}:bucket:<epoch>:seen   set     mentions already counted in that bucket — makes a
                                               re-delivered mention count once
warner:{<brand>}:bucket:<epoch>:authors set    fresh authors counted in that bucket
warner:{<brand>}:authors:recent        zset    author -> last bucket heard from (trimmed to an hour):
                                               what makes an author fresh
warner:{<brand>}:buckets               zset    bucket epochs with counters (score = epoch)
warner:{<brand>}:detector              string  JSON state of the brand's storm detector (baseline,
                                               evidence, open episode); survives restarts
warner:{<brand>}:detector:lock         string  lock held while a worker advances that state
warner:{<brand>}:recent                zset    recent mentions (score = epoch; member = JSON)
                                               for an incident's top mentions; trimmed to hours
warner:{<brand>}:terms:negative:<week> zset    word -> negative mentions containing it in that ISO
                                               week ("2026-W47", Europe/Berlin), each mention
                                               counted once (warner/terms.py; TTL 10 weeks)
warner:{<brand>}:incident:<n>          string  JSON of incident n of the brand (incidents/store.py;
                                               rewritten whole by the detector's transaction)
warner:{<brand>}:incident:<n>:timeline list    JSON events of that incident, oldest first
warner:{incidents}:index               zset    "<brand>:<n>" of every incident (score = start)
warner:{<brand>}:incident:<n>:response hash    the people's side of incident n: state (open,
                                               acknowledged, snoozed, resolved, false_alarm) and
                                               who/when/via of each step (incidents/lifecycle.py);
                                               never inside the JSON the detector rewrites
warner:{<brand>}:incident:<n>:reopens  zset    times the incident re-opened (flapping guard)
warner:{<brand>}:incident:<n>:escalation hash  the running escalation: frozen policy, generation,
                                               next step, per-step "page sent" marks
warner:{<brand>}:incident:<n>:messages hash    "<recipient>|<channel>|<ref>" -> JSON of a sent
                                               message, so updates and acks edit it
warner:{timers}:due                    zset    timer id -> due epoch (oncall/timers.py)
warner:{timers}:payload                hash    timer id -> JSON payload (pending or claimed)
warner:{timers}:claimed                zset    timer id -> lease expiry while a worker runs it
warner:{timers}:attempts               hash    timer id -> times claimed (>1: re-driven)
warner:{timers}:fired                  zset    timer id -> completion epoch (tombstones: a timer
                                               id fires once; trimmed after a week)
warner:{timers}:owner:<owner>          set     pending timer ids of one owner (an incident id)
warner:{timers}:heartbeat              string  epoch of the timer loop's last pass (auditor)
warner:{oncall}:pages:<person>         zset    pages sent to a person (score = epoch; ceiling)
warner:{oncall}:rotation:<policy>:<n>  string  round-robin counter of a notify_next_person step
warner:{acks}:code:<code>              hash    incident and person of an SMS ack code (TTL)
warner:{acks}:issued:<incident>:<p>    string  the code issued to that person for that incident
warner:{acks}:incident:<incident>      hash    code -> person of every code issued for an incident
                                               (what retires them all when it is acknowledged/resolved)
warner:{acks}:used:<code>              hash    tombstone of a used or retired code: incident, person,
                                               reason (TTL a day); such a code is never issued again
                                               meanwhile, and its person hears "already resolved"
warner:{acks}:failures:<kind>:<hash>   string  wrong SMS reply codes from one sender number or client
                                               address (kind phone/client, hash = SHA-256 prefix,
                                               never the number itself); TTL = the lockout window
warner:{telegram}:poller               string  lock held by the one process polling Telegram
warner:{digest}:sent:<week>            string  "sending <owner>" (lease) while a worker sends the
                                               weekly digest of that ISO week, then "sent <time>",
                                               "skipped: …" or "given up <time> after <n> tries: …"
warner:{digest}:since                  string  epoch seconds warner has had data since (SET NX, no
                                               TTL): no digest for weeks that ended before it
warner:{digest}:tries:<week>           hash    failed digest sends of a week: tries, next_at,
                                               reason, error (TTL two weeks)
warner:{sources}:state:<source>        hash    a pulled source's cursor (JSON, saved only once its
                                               mentions are in the stream) and health: kind,
                                               last_success, last_error(_at), errors, failures
                                               (consecutive), lag, mentions, next_poll
warner:{sources}:lease:<source>        string  id of the one worker polling that source (lease, TTL
                                               sources.lease_ttl, renewed by its holder)


warner:<tag>:probe:<process>           string  write probe of one process under each hash tag it
                                               writes (store/write_health.py; TTL 10 s): /readyz
warner:{web}:secret                    string  the key that signs console session cookies (made once)
warner:{web}:link:<sha256>             string  person of an unused sign-in link (TTL web.link_ttl;
                                               stored by digest, deleted when used)
warner:{web}:links:<person>            set     digests of a person's unused links (what revoke ends)
warner:{web}:session:<id>              string  JSON of a console session: person, CSRF token, start
                                               (TTL web.session_ttl)
warner:{web}:sessions:<person>         set     session ids of a person (what logout/revoke end)
warner:{web}:passwords                 hash    person -> argon2id hash (optional password sign-in)
warner:{web}:login-failures:<hash>     string  wrong passwords for one person id (hash = SHA-256
                                               prefix); TTL = the lockout window
warner:{web}:events                    pubsub  an incident opened or changed (its id)
=====================================  ======  ==================================================

Consumer group on the mention stream: ``workers``. Mentions that match no brand are
counted under the pseudo-brand ``_none`` (brand names cannot start with ``_``): how many and
their reach; they are not scored and keep no terms or authors (scoring/stage.py, detect/counters.py).

On a Redis Cluster (``redis+cluster://``, see ``store/connection.py``) each Lua script and
each MULTI must name keys of one tag only: a brand's keys go together, the ``{ingest}``,
``{timers}``, ``{acks}`` and ``{meta}`` (the format and its migration lease) groups go together,
and nothing else is combined — the cross-brand ``{incidents}:index`` is written on its own
after the brand's transaction, and the consumer group is a script *argument*, never a key.
``tests/cluster/test_key_slots.py`` pins the groups; a new key belongs under the tag of whatever
it is written together with.
"""

from __future__ import annotations

PREFIX = "warner"
INGEST_TAG = "{ingest}"
WORKER_GROUP = "workers"
NO_BRAND = "_none"

META_TAG = "{meta}"
DATA_FORMAT = f"{PREFIX}:{META_TAG}:format"  # string: the stored data format (store/data_format.py)
DATA_FORMAT_LOCK = f"{PREFIX}:{META_TAG}:format:lock"  # lease: the one process migrating the data

MENTION_STREAM = f"{PREFIX}:{INGEST_TAG}:mentions"
DEAD_LETTER_STREAM = f"{PREFIX}:{INGEST_TAG}:dead"


def seen(source: str, mention_id: str) -> str:
    return f"{PREFIX}:{INGEST_TAG}:seen:{source}:{mention_id}"


def signature_seen(source: str, signature: str) -> str:
    """Replay guard of one accepted signed request (``signature`` = lowercase hex HMAC)."""
    return f"{PREFIX}:{INGEST_TAG}:sig:{source}:{signature}"


def rate_limit(source: str) -> str:
    """GCRA state (hash of theoretical arrival times) of one source's rate limits."""
    return f"{PREFIX}:{{ratelimit}}:{source}"


def bucket(brand: str, epoch: int) -> str:
    return f"{PREFIX}:{{{brand}}}:bucket:{epoch}"


def bucket_seen(brand: str, epoch: int) -> str:
    return f"{PREFIX}:{{{brand}}}:bucket:{epoch}:seen"


def bucket_index(brand: str) -> str:
    return f"{PREFIX}:{{{brand}}}:buckets"


def bucket_authors(brand: str, epoch: int) -> str:
    return f"{PREFIX}:{{{brand}}}:bucket:{epoch}:authors"


def recent_authors(brand: str) -> str:
    return f"{PREFIX}:{{{brand}}}:authors:recent"


def negative_terms(brand: str, week: str) -> str:
    """Zset word -> count of newly counted negative mentions of ``brand`` containing it in ISO ``week``."""
    return f"{PREFIX}:{{{brand}}}:terms:negative:{week}"


def detector(brand: str) -> str:
    return f"{PREFIX}:{{{brand}}}:detector"


def detector_lock(brand: str) -> str:
    return f"{PREFIX}:{{{brand}}}:detector:lock"


def recent_mentions(brand: str) -> str:
    return f"{PREFIX}:{{{brand}}}:recent"


def incident(brand: str, number: int) -> str:
    return f"{PREFIX}:{{{brand}}}:incident:{number}"


def incident_timeline(brand: str, number: int) -> str:
    return f"{PREFIX}:{{{brand}}}:incident:{number}:timeline"


INCIDENT_INDEX = f"{PREFIX}:{{incidents}}:index"


def incident_response(brand: str, number: int) -> str:
    return f"{PREFIX}:{{{brand}}}:incident:{number}:response"


def incident_reopens(brand: str, number: int) -> str:
    return f"{PREFIX}:{{{brand}}}:incident:{number}:reopens"


def escalation(brand: str, number: int) -> str:
    return f"{PREFIX}:{{{brand}}}:incident:{number}:escalation"


def escalation_messages(brand: str, number: int) -> str:
    return f"{PREFIX}:{{{brand}}}:incident:{number}:messages"


TIMERS_TAG = "{timers}"
TIMERS_DUE = f"{PREFIX}:{TIMERS_TAG}:due"
TIMERS_PAYLOAD = f"{PREFIX}:{TIMERS_TAG}:payload"
TIMERS_CLAIMED = f"{PREFIX}:{TIMERS_TAG}:claimed"
TIMERS_ATTEMPTS = f"{PREFIX}:{TIMERS_TAG}:attempts"
TIMERS_FIRED = f"{PREFIX}:{TIMERS_TAG}:fired"
TIMERS_HEARTBEAT = f"{PREFIX}:{TIMERS_TAG}:heartbeat"
TIMERS_REDELIVER = f"{PREFIX}:{TIMERS_TAG}:redeliver"  # set: ids of pending re-drives of undelivered pages


def timers_of(owner: str) -> str:
    return f"{PREFIX}:{TIMERS_TAG}:owner:{owner}"


def person_pages(person: str) -> str:
    return f"{PREFIX}:{{oncall}}:pages:{person}"


def rotation(policy: str, step: int) -> str:
    return f"{PREFIX}:{{oncall}}:rotation:{policy}:{step}"


ACKS_TAG = "{acks}"


def ack_code(code: str) -> str:
    """Hash (incident, person) of an SMS ack code; TTL = the code's life."""
    return f"{PREFIX}:{ACKS_TAG}:code:{code}"


def ack_issued(incident_id: str, person: str) -> str:
    """The ack code already issued to this person for this incident (same code on every page)."""
    return f"{PREFIX}:{ACKS_TAG}:issued:{incident_id}:{person}"


def ack_incident_codes(incident_id: str) -> str:
    """Hash code -> person of every code issued for an incident: what retires them all at once."""
    return f"{PREFIX}:{ACKS_TAG}:incident:{incident_id}"


def ack_used(code: str) -> str:
    """Tombstone (incident, person, reason) of a code that was used or retired with its page."""
    return f"{PREFIX}:{ACKS_TAG}:used:{code}"


def sms_reply_failures(kind: str, digest: str) -> str:
    """Wrong reply codes counted for one sender number or client address (``kind`` phone/client).

    ``digest`` is a hash of the number or address, so no phone number appears in a key name.
    Under ``{acks}``: the number's and the client's counters are checked and counted in one script.
    """
    return f"{PREFIX}:{ACKS_TAG}:failures:{kind}:{digest}"


def digest_sent(week: str) -> str:
    """Weekly digest of ``week`` ("2026-W47"): "sending <owner>" (leased) while built, then "sent <time>"."""
    return f"{PREFIX}:{{digest}}:sent:{week}"


def source_state(source: str) -> str:
    """Cursor and health of a pulled source (ingest/sources/state.py)."""
    return f"{PREFIX}:{{sources}}:state:{source}"


def source_lease(source: str) -> str:
    """Holder id of the one worker that polls a pulled source (ingest/sources/lease.py)."""
    return f"{PREFIX}:{{sources}}:lease:{source}"


def brand_tag(name: str) -> str:
    """The hash tag of every key of brand ``name`` (its counters, detector and incidents share a slot)."""
    return f"{{{name}}}"


def write_probe(tag: str, process: str) -> str:
    """The key one process writes to learn whether the slot of ``tag`` (e.g. ``{ingest}``) takes writes now."""
    return f"{PREFIX}:{tag}:probe:{process}"


TELEGRAM_POLLER = f"{PREFIX}:{{telegram}}:poller"  # lock: the one process that polls getUpdates

WEB_TAG = "{web}"
WEB_SECRET = f"{PREFIX}:{WEB_TAG}:secret"  # string: the key that signs session cookies (made once, kept)
WEB_ADDRESS = f"{PREFIX}:{WEB_TAG}:address"  # string: where the running console answers (no web.public_url)


def web_link(token_digest: str) -> str:
    """String: the person a single-use sign-in link is for (TTL web.link_ttl); deleted when used."""
    return f"{PREFIX}:{WEB_TAG}:link:{token_digest}"


def web_session(session_id: str) -> str:
    """String (JSON): a signed-in person, their CSRF token and when they signed in (TTL web.session_ttl)."""
    return f"{PREFIX}:{WEB_TAG}:session:{session_id}"


def web_sessions_of(person: str) -> str:
    """Set: the session ids of a person, so that all can be revoked at once."""
    return f"{PREFIX}:{WEB_TAG}:sessions:{person}"


def web_links_of(person: str) -> str:
    """Set: the digests of a person's unused sign-in links, so that revoking ends them too."""
    return f"{PREFIX}:{WEB_TAG}:links:{person}"


WEB_PASSWORDS = f"{PREFIX}:{WEB_TAG}:passwords"  # hash: person -> argon2id hash (`warner web set-password`)


def web_login_failures(person_digest: str) -> str:
    """Counter: wrong passwords for one person id (SHA-256 prefix) in the window; locked at the limit."""
    return f"{PREFIX}:{WEB_TAG}:login-failures:{person_digest}"


WEB_EVENTS = f"{PREFIX}:{WEB_TAG}:events"  # pub/sub channel: an incident opened or changed (its id)
