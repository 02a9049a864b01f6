"""``warner run`` whose worker has no stages: it reads, decodes and acknowledges, nothing else.

The floor of this design for ``bench/load.py``: the same API, the same stream, the same
``Worker`` loop (XREADGROUP, pydantic decode, XACK + XDEL, metrics), with the pipeline
(score, count, detect) left out. Full throughput divided by this one says how much of the
possible the stages leave.

    WARNER_CONFIG=... python bench/floor_worker.py run --role worker
"""

from __future__ import annotations

import sys

import warner.service


def no_stages(*_args: object, **_kwargs: object) -> list[object]:
    return []


warner.service.build_stages = no_stages  # type: ignore[assignment]  # the one thing this process leaves out

from warner.cli import main  # noqa: E402  # after the replacement above, so build_worker picks it up

sys.exit(main())
