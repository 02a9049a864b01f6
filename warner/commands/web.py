"""``warner web``: sign-in to the web console from the host — links, ending sessions, passwords.

``warner web link PERSON`` prints a single-use sign-in link (what ``/login`` in Telegram sends), for
people without Telegram or a bot that is down. ``warner web revoke PERSON`` ends every session and
unused link of a person (a lost phone, a laptop left signed in). ``warner web set-password PERSON``
sets an optional password (asked twice, never on the command line; stored as an argon2id hash),
``--clear`` removes it. Each attaches to the running warner's Redis (``owner=False``).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from warner.config.root import Config
    from warner.store.connection import RedisClient
    from warner.web.sessions import Sessions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = subparsers.add_parser("web", help="the web console: sign-in links, ending sessions, passwords")
    commands = web.add_subparsers(dest="web_command", required=True, metavar="COMMAND")

    link = commands.add_parser("link", help="print a sign-in link for PERSON that works once, for web.link_ttl")
    link.add_argument("person", metavar="PERSON", help="person id from oncall.people")
    link.set_defaults(func=run_link)

    revoke = commands.add_parser("revoke", help="end every session and unused sign-in link of PERSON")
    revoke.add_argument("person", metavar="PERSON", help="person id (also one no longer in oncall.people)")
    revoke.set_defaults(func=run_revoke)

    password = commands.add_parser(
        "set-password", help="set PERSON's password for the sign-in page (asked twice); --clear removes it"
    )
    password.add_argument("person", metavar="PERSON", help="person id from oncall.people")
    password.add_argument("--clear", action="store_true", help="remove the password (sign-in links still work)")
    password.set_defaults(func=run_set_password)


def run_link(args: argparse.Namespace) -> int:
    import asyncio

    from warner.commands.loading import load_for_command
    from warner.web.sessions import LinkIssuer

    config = load_for_command(args)
    if not _known(config, args.person):
        return 1
    if config.web.port is None:
        print("error: the web console is off: set web.port (and web.public_url behind a proxy)", file=sys.stderr)
        return 1
    if config.web.port == 0 and not config.web.public_url:
        print("error: web.port is 0 (any free port), so a link cannot name it: set web.public_url", file=sys.stderr)
        return 1

    async def issue() -> tuple[str, int]:
        async with _redis(config) as redis:
            issuer = LinkIssuer(
                _sessions(config, redis), config.web.base_url(), announced=config.web.public_url is None
            )
            return await issuer.link(args.person), issuer.ttl_seconds

    url, ttl = asyncio.run(issue())
    print(url)
    print(f"works once, for {_duration(ttl)}; it signs in {args.person}: give it to nobody else", file=sys.stderr)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    import asyncio

    from warner.commands.loading import load_for_command

    config = load_for_command(args)

    async def revoke() -> int:
        async with _redis(config) as redis:
            return await _sessions(config, redis).revoke_all(args.person)

    ended = asyncio.run(revoke())
    print(f"ended {ended} session(s) of {args.person}; their unused sign-in links no longer work either")
    return 0


def run_set_password(args: argparse.Namespace) -> int:
    import asyncio
    import getpass

    from warner.commands.loading import load_for_command
    from warner.web.sessions import MIN_PASSWORD

    config = load_for_command(args)
    if not _known(config, args.person):
        return 1
    if args.clear:

        async def clear() -> bool:
            async with _redis(config) as redis:
                return await _sessions(config, redis).passwords.clear(args.person)

        had = asyncio.run(clear())
        print(f"password of {args.person} removed" if had else f"{args.person} had no password")
        return 0
    password = getpass.getpass(f"new password for {args.person} (at least {MIN_PASSWORD} characters): ")
    if getpass.getpass("the same again: ") != password:
        print("error: the two passwords differ; nothing was changed", file=sys.stderr)
        return 1

    async def store() -> None:
        async with _redis(config) as redis:
            await _sessions(config, redis).passwords.set(args.person, password)

    try:
        asyncio.run(store())
    except ValueError as exc:
        print(f"error: {exc}; nothing was changed", file=sys.stderr)
        return 1
    print(f"password set for {args.person}: the sign-in page now shows the password form")
    return 0


def _known(config: Config, person: str) -> bool:
    ids = [p.id for p in config.oncall.people]
    if person in ids:
        return True
    known = ", ".join(ids) if ids else "none configured"
    print(f"error: {person!r} is not in oncall.people ({known})", file=sys.stderr)
    return False


def _redis(config: Config) -> AbstractAsyncContextManager[RedisClient]:
    from warner.store.connection import open_redis

    return open_redis(config.redis, owner=False)  # the running warner's, embedded or not


def _sessions(config: Config, redis: RedisClient) -> Sessions:
    from warner.web.sessions import sessions_for

    return sessions_for(config, redis)


def _duration(seconds: int) -> str:
    if seconds % 60 == 0:
        return f"{seconds // 60} minute(s)"
    return f"{seconds} second(s)"
