"""JSON-lines events (docs/dl-format.md): one object per line on stdout, flushed, and appended to
``<out>/events.jsonl``. Logs go to stderr. Under torchrun only rank 0 speaks."""
from __future__ import annotations

import json
import math
import sys


def _clean(value):
    """NaN and infinities are not JSON: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


class Events:
    def __init__(self, path: str | None = None, enabled: bool = True):
        self.path = path
        self.enabled = enabled

    def emit(self, event: str, **fields) -> None:
        if not self.enabled:
            return
        line = json.dumps(_clean({"event": event, **fields}), separators=(", ", ": "))
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        if self.path:
            with open(self.path, "a") as fh:
                fh.write(line + "\n")


def log(*parts) -> None:
    """A human-readable line on stderr."""
    print(*parts, file=sys.stderr, flush=True)
