"""Babel workflow in one step: extract -> update -> fill English -> compile.

Run `python locales/update_catalogs.py` after changing user-facing strings, translate the new
entries in zh_Hant and zh_Hans, then run it again to compile.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def run(*args: str) -> None:
    subprocess.run([*PYBABEL, *args], check=True, cwd=ROOT)


def fill_english() -> None:
    """English is the source language: its msgstr is the msgid (singular and plural)."""
    path = LOCALES / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if not message.id:
            continue
        message.string = message.id
        message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False)


def main() -> None:
    run("extract", "-F", "babel.cfg", "-k", "N_", "-k", "Np_:1,2", "--no-wrap",
        "--add-comments=NOTE:", "--sort-by-file", "--project=dcm-bot", "-o", str(POT), ".")
    run("update", "-i", str(POT), "-d", str(LOCALES), "--no-wrap", "--ignore-obsolete",
        "--no-fuzzy-matching")
    fill_english()
    run("compile", "-d", str(LOCALES), "--statistics")


if __name__ == "__main__":
    main()
