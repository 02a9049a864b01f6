"""How a one-shot command gets its config: read, logging started, secrets registered — in that order.

One function for every command, because the order matters: a command that logged before the
config's secrets were registered with the redactor could print a token (``security.py``).
"""

from __future__ import annotations

import argparse

from warner.config.loading import load_config, resolve_config_path
from warner.config.root import Config
from warner.logs import configure_logging
from warner.security import register_config_secrets


def load_for_command(args: argparse.Namespace, *, optional: bool = False) -> Config:
    """The config of ``--config`` (else $WARNER_CONFIG, else ./warner.yaml), with console logging started.

    ``optional``: a command that is useful without a config (checking playbooks, detecting on a CSV) gets the
    defaults when no file is named and ./warner.yaml does not exist; a named file that is missing is an error.
    Raises ``ConfigError`` naming file, line and key.
    """
    if optional and not args.config and not resolve_config_path(None).exists():
        config = Config()
    else:
        config = load_config(args.config)
    start_logging(args, config, "console")
    return config


def start_logging(args: argparse.Namespace, config: Config, fmt: str) -> None:
    """Logging at ``--log-level`` (else the config's), and no secret of the config in any line from now on."""
    configure_logging(getattr(args, "log_level", None) or config.log.level, fmt)
    register_config_secrets(config)  # no token, password or key ever reaches a log line
