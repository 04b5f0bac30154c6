"""Every message is translated in every catalog, placeholders intact, compiled and current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("zh_Hant", "zh_Hans", "en")
PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)[^{}]*\}")
TAG = re.compile(r"</?[a-z]+>")


def _po(locale: str):
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_with_the_same_placeholders(locale: str) -> None:
    problems = []
    for message in _po(locale):
        if not message.id:
            continue
        ids = _strings(message.id)
        strs = _strings(message.string)
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(strs) or not strs:
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        want = set(PLACEHOLDER.findall(ids[0]))
        want_tags = sorted(TAG.findall(ids[0]))
        for s in strs:
            if set(PLACEHOLDER.findall(s)) != want:
                problems.append(f"placeholders differ in {ids[0]!r}: {s!r}")
            if sorted(TAG.findall(s)) != want_tags:
                problems.append(f"HTML tags differ in {ids[0]!r}: {s!r}")
    assert problems == []


def test_catalogs_hold_every_message_in_the_code(tmp_path: Path) -> None:
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "Np_:1,2", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as fh:
        in_code = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    for locale in LOCALES:
        in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in _po(locale) if m.id}
        missing = sorted(in_code - in_catalog)
        assert missing == [], f"{locale}: run locales/update_catalogs.py and translate"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_the_po(locale: str) -> None:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    source = {_key(m.id): _key(m.string) for m in _po(locale) if m.id}
    assert compiled == source, "run locales/update_catalogs.py to compile"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, (list, tuple)) else value
