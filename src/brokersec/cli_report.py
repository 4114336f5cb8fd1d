"""``brokersec report …``: every report and export from the command line.

Kept apart from cli.py so the report formats can grow without crowding it; cli.py mounts
``report_app``. Like the rest of the CLI it only parses options, calls ``brokersec.reports`` and
writes files atomically; bad input raises ``InputError`` (exit code 2).
"""

from __future__ import annotations

import typer

report_app = typer.Typer(no_args_is_help=True, help="Reports and exports: XLSX, PDF, DOCX, ZIP, OSCAL, CSV.")

# ================================================================ tables: checklist XLSX, working papers, CSV, CISO Assistant
# ================================================================ end of tables

# ================================================================ documents: PDF report, annual declaration
# ================================================================ end of documents

# ================================================================ oscal
# ================================================================ end of oscal
