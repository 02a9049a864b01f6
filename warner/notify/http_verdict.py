"""What an HTTP answer means for a page, the same for every channel that speaks HTTP.

2xx delivered; 429, 5xx, timeouts and connection errors transient (worth another try, after
the remote's ``Retry-After`` when it sent one); any other 4xx permanent (retrying the same
request cannot help: fail over to the next channel).
"""

from __future__ import annotations


def is_transient(status: int) -> bool:
    """429 and 5xx: the remote may take the same request later."""
    return status == 429 or status >= 500


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header; HTTP dates are ignored (no clock read here)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)
