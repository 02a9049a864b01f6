"""Reading playbooks: every ``*.yaml`` in a directory, plus the built-in generic one.

The generic playbook ships inside the package (``warner/respond/generic.yaml``) so that an
unknown situation always has a holding statement, even with an empty playbooks directory.
A file named ``generic.yaml`` in the directory replaces the built-in one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import structlog

from warner.respond.schema import Playbook, PlaybookError, PlaybookIssue, Source, parse_playbook

GENERIC_ID = "generic"
BUILTIN_GENERIC = Path(__file__).with_name("generic.yaml")


@dataclass(frozen=True, slots=True)
class PlaybookSet:
    """The crisis playbooks (id -> playbook, file order) and the generic fallback."""

    playbooks: dict[str, Playbook]
    generic: Playbook
    sources: dict[str, Source] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.playbooks)

    def __iter__(self) -> Iterator[Playbook]:
        return iter(self.playbooks.values())

    def get(self, playbook_id: str) -> Playbook | None:
        return self.generic if playbook_id == GENERIC_ID else self.playbooks.get(playbook_id)


def default_playbooks_dir() -> Path | None:
    """The repo's ``playbooks/`` next to the package in a source checkout, else None."""
    candidate = Path(__file__).resolve().parents[2] / "playbooks"
    return candidate if candidate.is_dir() else None


def load_playbook(path: Path) -> tuple[Playbook, Source]:
    """One playbook file; raise PlaybookError naming file, field and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError([PlaybookIssue(str(path), "(file)", None, f"cannot read: {exc}")]) from None
    return parse_playbook(text, str(path), stem=path.stem)


def load_playbooks(directory: Path | None, *, strict: bool = True) -> PlaybookSet:
    """Every ``*.yaml`` in ``directory`` (None: only the generic one); all errors at once.

    ``strict=False`` (the running service) skips an invalid file with a logged error instead:
    a broken playbook must not cost the on-call person every other draft at night.
    """
    issues: list[PlaybookIssue] = []
    playbooks: dict[str, Playbook] = {}
    sources: dict[str, Source] = {}
    generic, sources[GENERIC_ID] = load_playbook(BUILTIN_GENERIC)
    if directory is not None:
        if not directory.is_dir():
            raise PlaybookError([PlaybookIssue(str(directory), "(dir)", None, "playbooks directory not found")])
        for path in sorted(directory.glob("*.yaml")):
            try:
                playbook, source = load_playbook(path)
            except PlaybookError as exc:
                issues += exc.issues
                continue
            sources[playbook.id] = source
            if playbook.id == GENERIC_ID:
                generic = playbook
            else:
                playbooks[playbook.id] = playbook
    if issues and strict:
        raise PlaybookError(issues)
    for issue in issues:
        structlog.get_logger(__name__).error("playbook_invalid", issue=str(issue))
    return PlaybookSet(playbooks, generic, sources)


@lru_cache(maxsize=8)
def _cached(directory: Path | None, stamp: tuple[tuple[str, int], ...]) -> PlaybookSet:
    return load_playbooks(directory, strict=False)


def cached_playbooks(directory: Path | None) -> PlaybookSet:
    """``load_playbooks`` skipping invalid files, reloaded only when a file in the directory changes (name or mtime)."""
    stamp: tuple[tuple[str, int], ...] = ()
    if directory is not None and directory.is_dir():
        stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.yaml")))
    return _cached(directory, stamp)


def playbooks_dir(configured: Path | None) -> Path | None:
    """The configured directory, else the repo's."""
    return configured if configured is not None else default_playbooks_dir()
