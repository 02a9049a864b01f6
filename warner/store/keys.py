"""Every Redis key warner uses, built in one place.

Layout (``{…}`` is a Redis Cluster hash tag: keys sharing it live in one slot, so a Lua
script may touch them together):

=====================================  ======  ==================================================
key                                    type    what
=====================================  ======  ==================================================
warner:{ingest}:mentions               stream  accepted mentions not yet processed (entry: m=JSON,
                                               t=received ms); an entry is deleted when acked, so
                                               XLEN is the backlog
warner:{ingest}:seen:<source>:<id>     string  dedupe marker of an accepted mention (TTL
                                               retention.dedupe); value = stream entry id
warner:{ingest}:dead                   stream  entries that could not be processed (m, t, reason)
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
warner:{<brand>}:incident:<n>          hash    incident n of the brand (see incidents/)
warner:{<brand>}:incident:<n>:timeline list    JSON events of that incident, oldest first
warner:{incidents}:index               zset    "<brand>:<n>" of every incident (score = start)
=====================================  ======  ==================================================

Consumer group on the mention stream: ``workers``. Mentions that match no brand are
counted under the pseudo-brand ``_none`` (brand names cannot start with ``_``).
"""

from __future__ import annotations

PREFIX = "warner"
INGEST_TAG = "{ingest}"
WORKER_GROUP = "workers"
NO_BRAND = "_none"

MENTION_STREAM = f"{PREFIX}:{INGEST_TAG}:mentions"
DEAD_LETTER_STREAM = f"{PREFIX}:{INGEST_TAG}:dead"


def seen(source: str, mention_id: str) -> str:
    return f"{PREFIX}:{INGEST_TAG}:seen:{source}:{mention_id}"


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
