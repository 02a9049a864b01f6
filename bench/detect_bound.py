"""How far can detection go on this evidence? Upper bounds for issue 16's goals, from the data itself.

``bench/detect_eval.py`` says what warner's detector does; this says what *any* detector of a
simple, generous kind could do with the same counts, so that a missed goal can be told apart
from a goal the evidence cannot carry. Two parts, each printing its figures:

1. **Scenario families** (``warner.scenarios.family``). For each storm goal, is the storm
   *separable* by its deadline from the same brand's ordinary life before it (eight weeks by
   default)? A storm window (any length up to a day, ending by the deadline) is dominated when
   some window of that history, of the same length, was at least as extreme in what a rule looks
   at: as many vouched negatives where as many or more were normal; as many mentions likewise; or
   as many negatives with no more other mentions (the share). Any rule that pages more readily
   the more extreme its statistic, or a max of such rules (warner's tests are one), pages a
   dominated storm only by also paging that ordinary window. Every benign brand-week has the same
   ordinary life around its event, so a rule that pages at most 1 % of benign brand-weeks pages
   eight weeks of it in about 8 % of draws, and pages by the deadline at most the separable share
   + 8 % of storms: an upper bound, generous to the rule (it is compared with quiet history only,
   with the generator's true normal, and told the onset). Longer history makes more storms
   dominated but allows more false pages; with two weeks, windows of a day are rarely beaten by
   the dozen day-windows of history, so the bound says little there (``--history-weeks``,
   ``--longest-hours``).
2. **NAB realTweets dev half** (``--nab``, needs ../shared): each series' alert level chosen
   *with its labels* (an oracle no detector has), on the shipped detector's evidence and on
   plain log-ratios of the last hour and the last three hours against its baseline; the most
   windows found while all five series together stay within 0.25 false-alarm episodes a
   brand-week (a knapsack over the per-series choices).

    python bench/detect_bound.py [--draws 200] [--seed S] [--history-weeks 8] [--longest-hours 24]
                                 [--nab] [--data ../shared/data/nab_realtweets]
"""

from __future__ import annotations

import argparse
import json
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from detect_eval import WARMUP_ROWS, false_alarms  # bench/ is this script's directory
from families import SHIFT_MIN_PER_HOUR, fast_and_angry

from warner.detect.offline import detect_counts, infer_bucket, parse_time, read_counts
from warner.scenarios.family import draw

BENIGN_BUDGET = 0.01  # the goal: at most 1 % of benign brand-weeks paged
NAB_FA_LIMIT = 0.25  # false-alarm episodes per brand-week


@dataclass(frozen=True)
class Goal:
    """One of issue 16's storm goals: which storms, and by when (minutes after onset) they must be paged."""

    name: str
    family: str
    minutes: int


GOALS = (
    Goal("fast storms (×10 in 30 min, angry) by 15 min", "fast_storm", 15),
    Goal("slow storms (small brand, ×20–60 over 1.5–3 h) by 30 min", "slow_storm", 30),
    Goal("pile-ons by 30 min", "pile_on", 30),
    Goal("negativity shifts at >= 100 mentions/h by 45 min", "shift", 45),
)


def _sums(a: np.ndarray, width: int) -> np.ndarray:
    """Sums of every ``width`` consecutive buckets; element k covers buckets k .. k + width - 1."""
    c = np.concatenate(([0.0], np.cumsum(a, dtype=float)))
    return c[width:] - c[:-width]


@dataclass(frozen=True)
class Setting:
    """How much ordinary life each storm is compared with, and the longest window a rule may use."""

    history: timedelta
    longest: timedelta


def storm_separable(job: tuple[int, int, Setting]) -> tuple[bool, bool, bool, float] | None:
    """Could a one-statistic rule page this storm by its deadline without paging its own history?

    Three statistics, each over every window length up to ``setting.longest`` and every window
    ending between onset and deadline; the storm's window is *dominated* when some window of the
    same length in the brand's ``setting.history`` before the onset was at least as extreme in
    every part the rule looks at:

    * negatives (vouched, as the detector counts them) against normal: at least as many where at
      most as many were normal;
    * mentions against normal: the same for all mentions;
    * share: at least as many negatives with at most as many other mentions.

    A rule that pages more readily the more extreme its statistic (and a max of such rules, as
    warner's tests are) then pages that ordinary window too. Returns separable on (negatives,
    negatives or mentions, any of the three) and the vouched negatives between onset and deadline;
    None for a draw outside the goal.
    """
    g, seed, setting = job
    goal = GOALS[g]
    d = draw(goal.family, seed, history=setting.history)
    if d.onset is None or (goal.family == "fast_storm" and not fast_and_angry(d.time_to_multiple(10), d.params)):
        return None
    if goal.family == "shift" and d.normal_per_hour_at_onset < SHIFT_MIN_PER_HOUR:
        return None
    onset, deadline = d.index(d.onset), goal.minutes * 60 // d.bucket_s
    p = d.params
    seen_share = p["negative_share"] * p["recall"] + (1 - p["negative_share"]) * p["false_positive"]
    negatives = np.minimum(d.negatives, d.authors).astype(float)
    others = d.mentions - negatives
    # statistic -> (what must be at least as large, what must be at most as large) in a dominating window
    parts = {
        "negatives": (negatives, d.normal_per_bucket * seen_share),
        "mentions": (d.mentions.astype(float), d.normal_per_bucket),
        "share": (negatives, others),
    }
    separable = dict.fromkeys(parts, False)
    for name, (up, down) in parts.items():
        for width in range(1, max(deadline, int(setting.longest.total_seconds()) // d.bucket_s) + 1):
            u, v = _sums(up, width), _sums(down, width)
            before = slice(0, onset - width + 1)  # windows that end before the onset
            ends = range(onset - width + 1, onset + deadline - width + 1)  # windows that end by the deadline
            if any(not np.any((u[before] >= u[k]) & (v[before] <= v[k])) for k in ends):
                separable[name] = True
                break
    return (
        separable["negatives"],
        separable["negatives"] or separable["mentions"],
        any(separable.values()),
        float(negatives[onset : onset + deadline].sum()),
    )


def family_bound(draws: int, seed: int, setting: Setting, pool: ProcessPoolExecutor) -> None:
    weeks = setting.history / timedelta(weeks=1)
    hours = setting.longest / timedelta(hours=1)
    allowance = weeks * BENIGN_BUDGET
    print(
        f"scenario families: {draws} draws per storm family, seeds {seed}..{seed + draws - 1} (5-minute buckets)\n"
        f"a storm is separable when no window (up to {hours:g} h, ending by the deadline) of its brand's own"
        f" {weeks:g} weeks before it\nwas as extreme; any rule that pages more readily the more extreme its"
        " statistic pages the rest only by also paging that ordinary window."
    )
    print(
        f"\n{'goal':58} {'storms':>6} {'negatives by then (p50)':>24}"
        f" {'separable on negatives':>23} {'or mentions':>12} {'or share':>9} {'paged in time at most':>22}"
    )
    for g, goal in enumerate(GOALS):
        jobs = [(g, seed + i, setting) for i in range(draws)]
        rows = [r for r in pool.map(storm_separable, jobs) if r is not None]
        on_negatives = float(np.mean([r[0] for r in rows]))
        on_either = float(np.mean([r[1] for r in rows]))
        on_any = float(np.mean([r[2] for r in rows]))
        median = float(np.median([r[3] for r in rows]))
        print(
            f"{goal.name:58} {len(rows):>6} {median:>24.0f} {on_negatives:>23.0%} {on_either:>12.0%}"
            f" {on_any:>9.0%} {min(1.0, on_any + allowance):>22.0%}"
        )
    print(
        f"\nEvery benign brand-week has the same ordinary life around its event, so a rule that pages at most"
        f" {BENIGN_BUDGET:.0%} of benign brand-weeks\npages {weeks:g} weeks of it in about {allowance:.0%} of draws:"
        f" it pages by the deadline at most the separable share + {allowance:.0%} of storms (the last column;"
        f" up to\n3 x {allowance:.0%} more if it spent the whole benign allowance on one third of the brand sizes)."
        " The goals ask 90 %."
    )


# -- NAB -------------------------------------------------------------------------------------


def _episodes(score: np.ndarray, times: np.ndarray, level: float) -> list[int]:
    """Episode starts: the score reaches ``level``; the episode closes after an hour below half of it."""
    starts: list[int] = []
    open_, below = False, 0
    for s, t in zip(score[WARMUP_ROWS:], times[WARMUP_ROWS:], strict=True):
        if not open_ and s >= level:
            open_, below = True, 0
            starts.append(int(t))
        elif open_:
            below = below + 1 if s < level / 2 else 0
            open_ = below < 12
    return starts


def _outcome(starts: list[int], windows: list[tuple[int, int]]) -> tuple[int, int]:
    """(windows with an alert inside, false-alarm episodes as ``bench/detect_eval.py`` counts them)."""
    return sum(any(a <= x <= b for x in starts) for a, b in windows), false_alarms(starts, windows)


def _log_ratio(x: np.ndarray, mu: np.ndarray, width: int) -> np.ndarray:
    obs = np.convolve(x, np.ones(width))[: len(x)]
    exp = np.convolve(mu, np.ones(width))[: len(x)]
    return np.log((obs + 2) / (exp + 2))


def nab_series(job: tuple[Path, str]) -> tuple[str, float, dict[str, list[tuple[int, int]]], int]:
    """Per evidence: (windows found, false alarms) at every level; also the brand-weeks and window count."""
    data, key = job
    rows = read_counts(data / key.split("/")[-1])
    windows = [(parse_time(a), parse_time(b)) for a, b in json.loads((data / "windows.json").read_text())[key]]
    decisions = list(detect_counts(rows, infer_bucket(rows)))
    times = np.array([t for t, _ in rows])
    x = np.array([v for _, v in rows], dtype=float)
    mu = np.array([d.expected for d in decisions])
    scores = {
        "warner's evidence (score / bar)": np.array([d.score / d.threshold for d in decisions]),
        "log-ratio, last hour": _log_ratio(x, mu, 12),
        "log-ratio, last 3 hours": _log_ratio(x, mu, 36),
    }
    out = {}
    for name, s in scores.items():
        levels = np.unique(np.quantile(s[WARMUP_ROWS:], np.linspace(0.9, 1.0, 400)))
        out[name] = [_outcome(_episodes(s, times, float(level)), windows) for level in levels if level > 0]
    weeks = (times[-1] - times[WARMUP_ROWS]) / (7 * 86400)
    return key.split("/")[-1], weeks, out, len(windows)


def best_within(options: list[list[tuple[int, int]]], budget: int) -> int:
    """Most windows over all series with at most ``budget`` false alarms in total: a knapsack."""
    best = {0: 0}  # false alarms used -> windows found
    for series in options:
        nxt: dict[int, int] = {}
        for used, found in best.items():
            for w, fa in set(series) | {(0, 0)}:  # a series may also never alert
                if used + fa <= budget:
                    nxt[used + fa] = max(nxt.get(used + fa, -1), found + w)
        best = nxt
    return max(best.values())


def nab_bound(data: Path, pool: ProcessPoolExecutor) -> None:
    keys = sorted(json.loads((data / "windows.json").read_text()))
    results = list(pool.map(nab_series, [(data, k) for k in keys]))
    weeks = sum(r[1] for r in results)
    windows = sum(r[3] for r in results)
    budget = int(NAB_FA_LIMIT * weeks)
    print(
        f"\nNAB realTweets dev half: {len(keys)} series, {windows} windows, {weeks:.1f} brand-weeks;"
        f" at most {budget} false alarms in all ({NAB_FA_LIMIT}/brand-week)."
    )
    print("each series' level chosen with its labels (an oracle); most windows found within the budget:")
    for name in results[0][2]:
        found = best_within([r[2][name] for r in results], budget)
        print(f"  {name:34} {found}/{windows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200, help="draws per family")
    parser.add_argument("--seed", type=int, help="first seed (fresh unless given; printed)")
    parser.add_argument("--nab", action="store_true", help="also the NAB oracle (needs ../shared)")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/nab_realtweets"))
    parser.add_argument("--history-weeks", type=float, default=8, help="ordinary life before each storm")
    parser.add_argument("--longest-hours", type=float, default=24, help="the longest window a rule may use")
    args = parser.parse_args()
    setting = Setting(timedelta(weeks=args.history_weeks), timedelta(hours=args.longest_hours))
    seed = args.seed if args.seed is not None else random.randrange(1_000_000, 9_000_000)
    with ProcessPoolExecutor(2) as pool:
        if args.draws:
            family_bound(args.draws, seed, setting, pool)
        if args.nab:
            nab_bound(args.data, pool)


if __name__ == "__main__":
    main()
