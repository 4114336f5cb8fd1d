"""The ``brokersec`` command.

One module per group of commands (``catalog``, ``setup``, ``records``, ``checks``, ``report``), all
mounted on the Typer app of ``base``. Every command of every group is wrapped once by ``_guard_all``
so that bad input anywhere becomes a located message and exit code 2.
"""

from __future__ import annotations

import sys

import typer

from brokersec.cli import catalog, checks, records, setup  # noqa: F401  (register their commands)
from brokersec.cli.base import _guarded, app
from brokersec.cli.report import report_app

app.add_typer(report_app, name="report")


def _guard_all(typer_app: typer.Typer) -> None:
    """Wrap every command of an app and of every sub-app mounted on it, however deep."""
    for info in typer_app.registered_commands:
        if not getattr(info.callback, "__wrapped__", None):
            info.callback = _guarded(info.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _guard_all(group.typer_instance)


_guard_all(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (0 done, 2 bad input or usage)."""
    try:
        app(args=argv, prog_name="brokersec")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
