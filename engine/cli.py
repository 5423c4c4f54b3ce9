"""How every engine command ends: exit 0 ok, 2 bad input (one line and an ``error`` event),
3 internal error (traceback on stderr), 130 interrupted."""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import traceback

from .errors import EngineError
from .events import Events, log


def die_with_parent() -> None:
    """Spawned by camprint (``CAMPRINT_PARENT_PID`` set, Linux): ends when camprint ends, even
    when camprint is killed with SIGKILL (PR_SET_PDEATHSIG), so that no orphan goes on writing a
    model folder that a resumed run writes too. Standalone runs (and torchrun's) are untouched."""
    parent = os.environ.pop("CAMPRINT_PARENT_PID", None)
    if not parent or not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):  # camprint ended before prctl took effect
        os._exit(137)


def run(main, argv=None) -> None:
    """Calls ``main(argv, events)`` and exits with its status. ``main`` may point ``events`` at
    a file (``events.path``) or silence it (``events.enabled``) once it knows where it stands."""
    die_with_parent()
    events = Events()
    argv = sys.argv[1:] if argv is None else argv
    try:
        code = main(argv, events) or 0
    except EngineError as e:
        log(f"error: {e}")
        events.emit("error", message=str(e))
        code = 2
    except KeyboardInterrupt:
        log("interrupted")
        code = 130
    except Exception as e:  # noqa: BLE001 — reported, then exit 3
        traceback.print_exc()
        events.emit("error", message=f"internal error: {type(e).__name__}: {e}")
        code = 3
    sys.exit(code)


def option(argv: list[str], name: str, default=None):
    """The value of ``--name value`` or ``--name=value`` in argv (for the small CLIs)."""
    for i, arg in enumerate(argv):
        if arg == f"--{name}":
            if i + 1 == len(argv):
                raise EngineError(f"Expected a value after --{name}")
            return argv[i + 1]
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return default
