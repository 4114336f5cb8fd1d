"""Where brokersec keeps its data, decided once.

``BROKERSEC_DATA_DIR`` wins; otherwise the platform's per-user data directory. ``make run`` points it
at ``./var`` inside the clone so a trial run leaves nothing elsewhere on the machine.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path


def data_dir() -> Path:
    env = os.environ.get("BROKERSEC_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("brokersec", appauthor=False))


# Taiwan keeps one offset all year (no daylight saving): the firm's day and clock for due dates and display.
TAIPEI = dt.timezone(dt.timedelta(hours=8), "Asia/Taipei")
