"""Read CSV or XLSX files into numbered rows (the header is line 1)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class TableError(ValueError):
    """The file as a whole cannot be read."""


@dataclass(frozen=True)
class Table:
    """A header and its rows, each with the line number it had in the file."""

    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]


def read_table(path: Path) -> Table:
    """Read a .csv (UTF-8, BOM tolerated) or .xlsx file."""
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise TableError(f"{path}: unsupported file type {suffix or '(none)'} (use .csv or .xlsx)")


def _normalise(header: list[Any]) -> list[str]:
    names = [("" if h is None else str(h)).strip().lower() for h in header]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise TableError(f"line 1: column {name!r} appears twice")
        seen.add(name)
    return names


def _blank(values: Iterator[Any] | list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _read_csv(path: Path) -> Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"{path}: not UTF-8 text ({exc.reason})") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = _normalise(next(reader))
    except StopIteration:
        raise TableError(f"{path}: the file is empty") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    for values in reader:
        line = reader.line_num
        if _blank(values):
            continue
        if len(values) > len(header):
            extra = values[len(header) :]
            if not _blank(extra):
                raise TableError(
                    f"line {line}: {len(values)} values but the header has {len(header)} columns"
                )
        rows.append((line, dict(zip(header, values, strict=False))))
    return Table(header, rows)


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        kind = exc.__class__.__name__
        raise TableError(f"{path}: not a readable XLSX workbook ({kind})") from None
    try:
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        try:
            header = _normalise(list(next(it)))
        except StopIteration:
            raise TableError(f"{path}: the sheet is empty") from None
        rows: list[tuple[int, dict[str, Any]]] = []
        for line, values in enumerate(it, start=2):
            if _blank(list(values)):
                continue
            rows.append((line, dict(zip(header, values, strict=False))))
        return Table(header, rows)
    finally:
        book.close()
