"""The ``warner`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from warner import __version__

# Only the parser is built at start: ``warner --version`` and ``--help`` must not load pydantic, Redis or the
# models. Each command imports what it needs when it runs (see tests/test_cli_startup.py).


HOST_CHECKED = frozenset({"ingest.port", "ingest.metrics_port", "worker.metrics_port", "web.port", "redis.data_dir"})


def cmd_check_config(args: argparse.Namespace) -> int:
    """Every check ``warner run`` makes before it starts (warner.preflight), every problem at once."""
    from warner.config.loading import resolve_config_path
    from warner.preflight import preflight

    path = resolve_config_path(args.path or args.config)
    found = preflight(path, role=args.role, host_checks=not args.offline, probe=not args.offline)
    for issue in found.errors:
        print(f"error: {issue}")
    for issue in found.warnings:
        print(f"warning: {issue}")
    if found.errors:
        print(f"{len(found.errors)} error(s): warner run would refuse to start")
        if not args.offline and any(e.field in HOST_CHECKED for e in found.errors):
            print("(checking the config of a warner that is running? --offline leaves out its ports and data dir)")
        return 1
    print("OK")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import errno
    import signal

    import structlog

    from warner import gc_settings
    from warner.commands.loading import start_logging
    from warner.config.locate import ConfigError
    from warner.preflight import preflight
    from warner.service import serve
    from warner.store.connection import open_redis

    found = preflight(args.config, role=args.role)  # the same checks as check-config, so they never disagree
    if found.config is None or found.errors:
        raise ConfigError(found.errors)
    config = found.config
    start_logging(args, config, config.log.format)
    log = structlog.get_logger(__name__)
    for issue in found.warnings:
        log.warning("config_warning", issue=str(issue))
    gc_settings.tune()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # ``stop`` is set, too, if the embedded Redis cannot come back. A process with a worker gives up on a
        # Redis unreachable at start after worker.start_timeout (exit 1); the API and the console wait for it.
        start_timeout = config.worker.start_timeout.total_seconds() if args.role in ("all", "worker") else None
        async with open_redis(config.redis, stop=stop, start_timeout=start_timeout) as redis:
            await serve(config, redis, args.role, stop)

    try:
        asyncio.run(main())
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        again = preflight(args.config, role=args.role)  # taken since the check: say which key, as it would have
        if again.errors:
            raise ConfigError(again.errors) from None
        raise
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    import asyncio

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from warner.commands.loading import load_for_command
    from warner.detect.counters import BucketCounter
    from warner.ingest.parse import InvalidBody
    from warner.metrics import Metrics
    from warner.replay import read_jsonl, replay
    from warner.service import build_worker
    from warner.store.connection import open_redis
    from warner.store.streams import MentionStream

    config = load_for_command(args)
    try:
        mentions = read_jsonl(Path(args.file), args.source, config)
    except InvalidBody as exc:
        for error in exc.errors:
            where = f"line {error.line}" if error.line else "file"
            print(f"{args.file}: {where}: {error.field or '-'}: {error.message}", file=sys.stderr)
        print(f"{exc.total} error(s); nothing was replayed", file=sys.stderr)
        return 1
    console = Console()

    async def main() -> None:
        async with open_redis(config.redis, owner=False) as redis:
            stream = MentionStream(redis)
            with Progress(
                TextColumn("replaying"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task("replay", total=len(mentions))
                result = await replay(
                    stream, mentions, config, speed=args.speed, on_progress=lambda n: progress.advance(task, n)
                )
            console.print(f"accepted {result.accepted}, duplicates {result.duplicates} in {result.seconds:.1f}s")
            if args.no_worker:
                return
            processed = await build_worker(config, redis, Metrics()).drain()
            console.print(f"processed {processed} stream entries")
            counter = BucketCounter(redis, config.bucket, config.retention.buckets)
            for brand in [b.name for b in config.brands]:
                rows = await counter.read(brand)
                total = sum(r.mentions for r in rows)
                negatives = sum(r.negatives for r in rows)
                console.print(f"  {brand}: {total} mentions counted, {negatives} negative, {len(rows)} buckets")

    asyncio.run(main())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio

    from rich.console import Console

    from warner.demo import run_demo
    from warner.logs import configure_logging

    configure_logging(args.log_level or "warning", "console")
    console = Console()
    asyncio.run(run_demo(console, seconds=args.seconds, seed=args.seed, live=console.is_terminal))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="warner", description="Shitstorm early warning and crisis response.")
    parser.add_argument("--version", action="version", version=f"warner {__version__}")
    parser.add_argument("--config", help="config file (default: $WARNER_CONFIG or ./warner.yaml)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the ingest API and the worker")
    run.add_argument(
        "--role",
        choices=["all", "api", "worker", "web"],
        default="all",
        help="all (default), only the HTTP API, only a worker, or only the web console",
    )
    run.set_defaults(func=cmd_run)

    replay = sub.add_parser("replay", help="replay a JSONL file of mentions into the pipeline")
    replay.add_argument("file", help="JSONL file, one mention per line")
    replay.add_argument(
        "--speed",
        type=float,
        default=None,
        help="keep the original pace divided by this factor (default: as fast as possible)",
    )
    replay.add_argument("--source", default="replay", help="source for records that name none (default: replay)")
    replay.add_argument(
        "--no-worker", action="store_true", help="only enqueue; leave processing to a running `warner run`"
    )
    replay.set_defaults(func=cmd_replay)

    demo = sub.add_parser("demo", help="replay a Saturday-evening storm through a private pipeline")
    demo.add_argument("--seconds", type=float, default=20.0, help="how long the replay takes (default 20)")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(func=cmd_demo)

    check = sub.add_parser(
        "check-config", help="every check `warner run` makes before it starts: the file, secrets, Redis, ports"
    )
    check.add_argument("path", nargs="?", help="config file (default: as --config)")
    check.add_argument(
        "--role",
        choices=["all", "api", "worker", "web"],
        default="all",
        help="check as `warner run --role` (default all)",
    )
    check.add_argument(
        "--offline",
        action="store_true",
        help="only the file and the environment: no port binding, no Redis connection (a config for another host)",
    )
    check.set_defaults(func=cmd_check_config)

    from warner.commands.detect import register as register_detect

    register_detect(sub)
    from warner.commands.oncall import register as register_oncall

    register_oncall(sub)
    from warner.commands.respond import register as register_respond

    register_respond(sub)
    from warner.commands.digest import register as register_digest

    register_digest(sub)
    from warner.commands.sources import register as register_sources

    register_sources(sub)
    from warner.commands.incidents import register as register_incidents

    register_incidents(sub)
    from warner.commands.web import register as register_web

    register_web(sub)
    try:
        from warner.commands.score import register as register_scoring
    except ImportError:
        pass
    else:
        register_scoring(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import structlog

    from warner.config.locate import ConfigError
    from warner.logs import configure_logging, redact_text

    # Logs go to stderr as text for a person; `warner run` switches to its config's log.format (JSON off a tty).
    configure_logging(args.log_level or "warning", "console")
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        for issue in exc.issues:
            print(f"config error: {issue}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear error for people; the traceback (redacted) with --log-level debug
        from warner.store.data_format import DataFormatTooNew
        from warner.store.embedded import EmbeddedRedisError
        from warner.store.start_gate import StoreUnreachableAtStart
        from warner.store.tolerant import StateUnreadable

        structlog.get_logger(__name__).debug("command_failed", exc_info=exc)
        said = isinstance(  # a sentence of its own
            exc, EmbeddedRedisError | DataFormatTooNew | StateUnreadable | StoreUnreachableAtStart
        )
        message = str(exc) if said else f"{type(exc).__name__}: {exc}"
        print(f"error: {redact_text(message)}", file=sys.stderr)
        if not said:
            print("(run again with --log-level debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
