"""The key layout on a Redis Cluster, without a server: which keys share a slot, and the URL.

A Lua script or a MULTI may only touch keys of one slot; ``store/keys.py`` keeps every
group that is written together under one hash tag. These tests pin the groups:

* per brand ``{<brand>}``: buckets, seen sets, authors, the bucket index, negative terms,
  the detector state and its lock, recent mentions, incidents, their timelines, responses,
  re-opens, escalations and sent messages — counting, detecting and the incident writes of
  a brand are all atomic on the brand's slot;
* ``{ingest}``: the mention stream, its dedupe markers, signature replay guards and the
  dead-letter stream (the append script checks the backlog and the markers together);
* ``{timers}``: every durable-timer key (the claim, complete and cancel scripts);
* ``{acks}``: an ack code and the "issued" marker (the issue script);
* ``{meta}``: the data format and its migration lease (``store/data_format.py``).

The cross-brand incident index ``{incidents}`` is on purpose not in any brand's slot: it is
written by a separate, idempotent ZADD after the brand's transaction.
"""

from __future__ import annotations

import inspect

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from warner.config.loading import ConfigError, parse_config
from warner.store import keys
from warner.store.connection import connect
from warner.store.urls import RedisUrlError, cluster_nodes, is_cluster_url

BRANDS = ["kesselberg", "bergblick", "a", "brand-with-dashes", "x_1", keys.NO_BRAND]


def slot(key: str) -> int:
    return key_slot(key.encode())


def brand_keys(brand: str) -> list[str]:
    """Every key function of ``keys`` whose first parameter is the brand, called for ``brand``."""
    out = []
    for _name, function in inspect.getmembers(keys, inspect.isfunction):
        params = list(inspect.signature(function).parameters)
        if params and params[0] == "brand":
            filler = {"epoch": 1795286520, "number": 7, "week": "2026-W47"}
            out.append(function(brand, *(filler[p] for p in params[1:])))
    return out


@pytest.mark.parametrize("brand", BRANDS)
def test_every_key_of_a_brand_lives_in_one_slot(brand):
    found = brand_keys(brand)
    assert len(found) >= 15  # buckets, detector, incidents, escalation …; a new key function is picked up too
    assert {slot(k) for k in found} == {slot(f"{{{brand}}}")}, found


def test_the_keys_the_pipeline_writes_together_are_named_for_the_brand():
    names = {k.split("}:", 1)[1].split(":")[0] for k in brand_keys("kesselberg")}
    assert {"bucket", "buckets", "authors", "terms", "detector", "recent", "incident"} <= names


def test_stream_dedupe_and_dead_letter_share_the_ingest_slot():
    group = [keys.MENTION_STREAM, keys.DEAD_LETTER_STREAM, keys.seen("webhook", "m1"), keys.seen("forum", "9")]
    if hasattr(keys, "signature_seen"):
        group.append(keys.signature_seen("webhook", "ab" * 32))
    assert len({slot(k) for k in group}) == 1


def test_timer_keys_share_one_slot():
    group = [
        keys.TIMERS_DUE,
        keys.TIMERS_PAYLOAD,
        keys.TIMERS_CLAIMED,
        keys.TIMERS_ATTEMPTS,
        keys.TIMERS_FIRED,
        keys.TIMERS_HEARTBEAT,
        keys.timers_of("kesselberg:1"),
    ]
    assert len({slot(k) for k in group}) == 1


def test_ack_code_keys_share_one_slot():
    assert slot(keys.ack_code("4821")) == slot(keys.ack_issued("kesselberg:1", "anna"))


def test_the_data_format_and_its_migration_lease_share_one_slot():
    """The format is written only while the lease is ours: one script over both keys."""
    assert slot(keys.DATA_FORMAT) == slot(keys.DATA_FORMAT_LOCK)


def test_the_incident_index_is_apart_from_the_brands():
    assert slot(keys.INCIDENT_INDEX) not in {slot(f"{{{b}}}") for b in BRANDS}


def test_the_consumer_group_name_is_not_a_key_of_another_slot_in_a_script():
    """XACK names the group as an argument; passed as a script key it would be a CROSSSLOT."""
    assert slot(keys.WORKER_GROUP) != slot(keys.MENTION_STREAM)


# --- the URL ---------------------------------------------------------------------------


def test_a_cluster_url_gives_a_cluster_client_with_every_listed_node():
    client = connect("redis+cluster://user:secret@127.0.0.1:7000,127.0.0.2:7001,[::1]:7002")
    assert isinstance(client, RedisCluster)
    startup = {(n.host, n.port) for n in client.nodes_manager.startup_nodes.values()}
    assert startup == {("127.0.0.1", 7000), ("127.0.0.2", 7001), ("::1", 7002)}


def test_cluster_url_keeps_credentials_tls_and_options_for_the_first_node():
    first, nodes = cluster_nodes("rediss+cluster://u:p@h1:7000,h2/0?socket_timeout=3")
    assert first == "rediss://u:p@h1:7000?socket_timeout=3"
    assert nodes == [("h1", 7000), ("h2", 6379)]
    assert is_cluster_url("REDIS+CLUSTER://h:1") and not is_cluster_url("redis://h:1")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+cluster://h:7000/3", "only database 0"),
        ("redis+cluster:///tmp/redis.sock", "at least one host:port"),
        ("redis+cluster://h:port", "host:port expected"),
        ("redis+cluster://h:70000", "host:port expected"),
        ("redis+cluster://[::1", "host:port expected"),
    ],
)
def test_a_cluster_url_that_cannot_work_is_refused_at_connect(url, message):
    with pytest.raises(RedisUrlError, match=message):
        connect(url)


def test_check_config_refuses_a_cluster_url_with_a_database():
    text = "brands: [{name: kesselberg}]\nredis:\n  url: redis+cluster://h:7000/2\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "warner.yaml")
    assert any("database" in str(issue) and "redis" in str(issue) for issue in caught.value.issues)


def test_check_config_accepts_a_cluster_url():
    config = parse_config("brands: [{name: kesselberg}]\nredis:\n  url: redis+cluster://h1:7000,h2:7001\n", "w.yaml")
    assert config.redis.url == "redis+cluster://h1:7000,h2:7001"
