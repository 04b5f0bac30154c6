"""Read CSV or XLSX files into numbered rows (the header is line 1)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CELL_LIMIT = 128 * 1024  # characters in one cell: more is a broken file, not data


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


def _long_cell(line: int, header: list[str], values: Iterator[Any] | list[Any]) -> None:
    """Refuse a cell over CELL_LIMIT characters, naming its line and column."""
    for index, value in enumerate(values):
        if isinstance(value, str) and len(value) > CELL_LIMIT:
            column = header[index] if index < len(header) and header[index] else \
                f"column {index + 1}"
            raise TableError(f"line {line}: {column}: longer than {CELL_LIMIT} characters "
                             "(is a quote left open?)")


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """Let the csv module read fields of any length (it raises at 128 KiB by default, without
    saying where); _long_cell then names the cell."""
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _read_csv(path: Path) -> Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"{path}: not UTF-8 text ({exc.reason})") from None
    with _field_limit(max(len(text) + 1, CELL_LIMIT)):
        reader = csv.reader(text.splitlines(keepends=True))
        try:
            names = next(reader)
        except StopIteration:
            raise TableError(f"{path}: the file is empty") from None
        _long_cell(1, [], names)
        header = _normalise(names)
        rows: list[tuple[int, dict[str, Any]]] = []
        end = reader.line_num
        for values in reader:
            # The line a row starts on: a quoted value may run over several lines.
            line, end = end + 1, reader.line_num
            if _blank(values):
                continue
            _long_cell(line, header, values)
            if len(values) > len(header):
                extra = values[len(header) :]
                if not _blank(extra):
                    raise TableError(f"line {line}: {len(values)} values but the header has "
                                     f"{len(header)} columns")
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
            names = list(next(it))
        except StopIteration:
            raise TableError(f"{path}: the sheet is empty") from None
        _long_cell(1, [], names)
        header = _normalise(names)
        rows: list[tuple[int, dict[str, Any]]] = []
        for line, values in enumerate(it, start=2):
            if _blank(list(values)):
                continue
            _long_cell(line, header, values)
            rows.append((line, dict(zip(header, values, strict=False))))
        return Table(header, rows)
    except TableError:
        raise
    except Exception as exc:  # a damaged sheet (bad XML) only shows while it is read
        kind = exc.__class__.__name__
        raise TableError(f"{path}: not a readable XLSX workbook ({kind})") from None
    finally:
        book.close()
