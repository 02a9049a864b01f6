"""Fuzzing the config loader: any text gives a Config or a ConfigError naming file and field."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from support import CONFIG_YAML

from warner.config.loading import ConfigError, parse_config
from warner.config.root import Config

SECTIONS = [
    "brands",
    "bucket",
    "ingest",
    "redis",
    "worker",
    "retention",
    "detect",
    "log",
    "oncall",
    "notify",
    "escalation",
    "digest",
    "respond",
    "sources",
]
FIELDS = [
    "name",
    "host",
    "port",
    "sources",
    "token_env",
    "token",
    "url",
    "telegram",
    "sms",
    "people",
    "id",
    "policies",
    "routes",
    "steps",
    "recipients",
    "aliases",
    "query",
    "wait",
    "channels",
    "level",
    "provider",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    # Bounded: durations beyond timedelta's range are a known bug, see test_out_of_range_durations below.
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(min_value=-1e12, max_value=1e12) | st.just(float("nan")),
    st.text(max_size=40),
    st.sampled_from(["5m", "0s", "-1s", "1w", "127.0.0.1", "Europe/Berlin", "09:00", "+4915112345678", "AND OR ("]),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=12), st.integers(-3, 3))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(SECTIONS) | st.text(max_size=8), values, max_size=6)


def check(text: str) -> None:
    try:
        config = parse_config(text, "fuzz.yaml")
    except ConfigError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.file == "fuzz.yaml" and issue.field and issue.message
            assert issue.line is None or issue.line >= 1
    else:
        assert isinstance(config, Config)


def nested(depth: int) -> str:
    return "ingest:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth)) + "  " * (depth + 1) + "x: 1\n"


@settings(max_examples=300, deadline=None)
@given(documents)
def test_random_structures(document):
    check(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text(text):
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_real_config(data):
    """The test config with a slice cut, a line duplicated or random characters spliced in."""
    lines = CONFIG_YAML.splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(i, len(lines)))
    mutation = data.draw(st.sampled_from(["cut", "duplicate", "splice"]))
    if mutation == "cut":
        lines[i:j] = []
    elif mutation == "duplicate":
        lines[i:i] = lines[i:j]
    else:
        lines.insert(i, data.draw(st.text(st.sampled_from(" :-[]{}&*!|>'\"#%@`\t\nabc01"), max_size=30)))
    check("".join(lines))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 50))
def test_deep_nesting(depth):
    check(nested(depth))
    check("brands: " + "[" * depth + "]" * depth)


def test_yaml_tags_aliases_and_odd_keys():
    for text in [
        "!!python/object/apply:os.system ['true']",
        "ingest: !!binary aGVsbG8=",
        "a: &x [1, *x]",
        "ingest: {? [a, b] : c}",
        "ingest:\n  port: 8080\n  port: 8081\n",
        "\ufeffingest: {}",
        "ingest: {host: \x00}",
        "ingest: {sources: [{name: a, token_env: A, token: plain-secret}]}",
        "%YAML 1.1\n---\ningest: {}\n---\nredis: {}\n",
        "2: 3\n",
    ]:
        check(text)


@pytest.mark.parametrize("value", [".inf", "-.inf", "1.0e+20", "86400000000000"])
def test_out_of_range_durations_are_config_errors(value):
    check(f"bucket: {value}\n")
