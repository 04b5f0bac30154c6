"""Accuracy of raw langdetect vs bot.language.detect_locale by message length.

Run from the repository root (or anywhere):  python bench/language_accuracy.py

The corpus is text we did not write (see bench/data/language/SOURCES.md): translated
PostgreSQL server messages and `holidays` holiday names saved under bench/data/language/,
plus the company policy in ../shared/policy/ when that folder exists.  Sentences are cut
into windows of about 4, 8 and 16 characters (Latin text at word boundaries) and also used
whole.  Sampling is seeded and langdetect is seeded, so the table is the same on every run.

`--extract` rebuilds the saved corpus from the .mo catalogs installed on this machine
(Debian's postgresql-15 package and the `holidays` Python package).
"""

from __future__ import annotations

import argparse
import gettext
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data" / "language"
POLICY = REPO.parent / "shared" / "policy"
sys.path.insert(0, str(REPO))

from bot.language import EN, LOCALES, ZH_HANS, ZH_HANT, detect_locale  # noqa: E402

SEED = 20240601
CAP = 500  # samples per (locale, length) cell
BUCKETS: tuple[int | None, ...] = (4, 8, 16, None)  # None = whole sentence
LANGDETECT_MAP = {"zh-tw": ZH_HANT, "zh-cn": ZH_HANS, "en": EN}
OTHER = "other"  # languages we do not serve: the right answer is None

PLACEHOLDER_RE = re.compile(
    r"%(?:\d+\$)?[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|L|z|j|t)?[diouxXeEfgGcsmpY%]"
)
EMPTY_QUOTES_RE = re.compile(r"\"\s*\"|'\s*'|「\s*」|“\s*”|《\s*》|\(\s*\)|（\s*）")
HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")


# --------------------------------------------------------------------------- corpus


def clean(text: str) -> str:
    """Drop printf placeholders and the empty quotes they leave, collapse spaces."""
    text = EMPTY_QUOTES_RE.sub(" ", PLACEHOLDER_RE.sub("", text))
    return " ".join(text.split()).strip(" :：,，")


def han_share(text: str) -> float:
    """Share of Han characters among the Han and Latin letters of a text."""
    han = len(HAN_RE.findall(text))
    latin = len(LATIN_RE.findall(text))
    return han / (han + latin) if han + latin else 0.0


def catalog(path: Path) -> dict[str, str]:
    """Read a compiled gettext catalog into msgid -> msgstr (non-empty, singular only)."""
    with path.open("rb") as fh:
        raw = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    return {k: v for k, v in raw.items() if isinstance(k, str) and k and isinstance(v, str)}


def extract() -> None:
    """Rebuild bench/data/language/*.txt from the .mo catalogs installed here."""
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)

    # PostgreSQL server messages: a parallel en / zh_TW / zh_CN corpus.
    pg = Path("/usr/share/locale/{}/LC_MESSAGES/postgres-15.mo")
    if not Path(str(pg).format("zh_TW")).is_file():
        sys.exit(f"--extract needs {pg} (Debian package postgresql-15) for zh_TW, zh_CN...")
    tw, cn = catalog(Path(str(pg).format("zh_TW"))), catalog(Path(str(pg).format("zh_CN")))
    rows = []
    for msgid in sorted(set(tw) & set(cn)):
        if "\n" in msgid.strip() or msgid[:1].isspace() or "--" in msgid:
            continue
        en, hant, hans = clean(msgid), clean(tw[msgid]), clean(cn[msgid])
        if len(en.split()) < 4 or len(LATIN_RE.findall(en)) < 0.7 * len(en.replace(" ", "")):
            continue
        if min(len(HAN_RE.findall(hant)), len(HAN_RE.findall(hans))) < 6:
            continue
        if min(han_share(hant), han_share(hans)) < 0.8:
            continue
        rows.append((en, hant, hans))
    rows = rng.sample(rows, 600)
    for i, name in enumerate(("en", "zh_Hant", "zh_Hans")):
        lines = [row[i] for row in rows]
        (DATA / f"postgres.{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # Same catalog in languages we do not serve (right answer: None).
    other = []
    for lang in ("de", "es", "fr", "it", "sv", "ru", "ja", "ko"):
        cat = catalog(Path(str(pg).format(lang)))
        texts = sorted(
            {clean(v) for k, v in cat.items() if "\n" not in k.strip() and len(clean(v)) >= 20}
        )
        other += [f"{lang}\t{t}" for t in rng.sample(texts, 60)]
    (DATA / "postgres.other.txt").write_text("\n".join(other) + "\n", encoding="utf-8")

    # holidays: short real names.  Catalog msgids are in the country's default language.
    import holidays

    root = Path(holidays.__file__).parent / "locale"
    hant_ids = {"TW", "HK", "MO", "XTAI", "XHKG"}
    hans_ids = {"CN", "XSHG", "XSHE"}
    names: dict[str, set[str]] = {"en": set(), "zh_Hant": set(), "zh_Hans": set()}
    for mo in sorted(root.glob("*/LC_MESSAGES/*.mo")):
        loc, code = mo.parent.parent.name, mo.stem
        for msgid, msgstr in catalog(mo).items():
            if code in hant_ids and HAN_RE.search(msgid):
                names["zh_Hant"].add(clean(msgid))
            if code in hans_ids and HAN_RE.search(msgid):
                names["zh_Hans"].add(clean(msgid))
            if loc in ("zh_TW", "zh_HK", "zh_MO"):
                names["zh_Hant"].add(clean(msgstr))
            elif loc == "zh_CN":
                names["zh_Hans"].add(clean(msgstr))
            elif loc == "en_US":
                names["en"].add(clean(msgstr))
    for name, found in names.items():
        keep = sorted(t for t in found if t and (name == "en" or han_share(t) >= 0.8))
        if name == "en":
            keep = sorted(rng.sample(keep, 600))
        (DATA / f"holidays.{name}.txt").write_text("\n".join(keep) + "\n", encoding="utf-8")
    print(f"wrote corpus to {DATA.relative_to(REPO)}")


def read_lines(path: Path) -> list[str]:
    """Return the non-empty lines of a UTF-8 file."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def policy_sentences() -> dict[str, list[str]]:
    """Sentences of the company policy (Traditional original, English requirements)."""
    out: dict[str, list[str]] = {ZH_HANT: [], EN: []}
    zh = POLICY / "downstream-customer-policy.zh-Hant.txt"
    if zh.is_file():
        for part in re.split(r"[。；！？\n]", zh.read_text(encoding="utf-8")):
            part = re.sub(
                r"^[(（][一二三四五六七八九十]+[)）]|^[一二三四五六七八九十]+、", "", part
            )
            part = re.sub(r"\d+\.", "", part).strip()
            if len(HAN_RE.findall(part)) >= 6 and han_share(part) >= 0.8:
                out[ZH_HANT].append(part)
    md = POLICY / "POLICY.md"
    if md.is_file():
        for line in md.read_text(encoding="utf-8").splitlines():
            if not line.startswith("- "):
                continue
            line = re.sub(r"^- (?:\*\*)?[A-Z]+-\d+(?:\*\*)?:?", "", line)
            line = re.sub(r"[`*]|[（(《]?[\u3400-\u9fff]+[^\sA-Za-z]*[)）》]?", " ", line)
            for sent in re.split(r"(?<=[.;:])\s+", line):
                sent = " ".join(sent.split())
                if len(sent.split()) >= 4:
                    out[EN].append(sent)
    return out


def load_corpus(use_policy: bool) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """Return {locale: {source: sentences}} and the "other languages" sentences."""
    corpus: dict[str, dict[str, list[str]]] = {loc: {} for loc in LOCALES}
    for loc in LOCALES:
        corpus[loc]["postgres"] = read_lines(DATA / f"postgres.{loc}.txt")
        corpus[loc]["holidays"] = read_lines(DATA / f"holidays.{loc}.txt")
    if use_policy:
        for loc, sents in policy_sentences().items():
            if sents:
                corpus[loc]["policy"] = sents
    other = [line.split("\t", 1)[1] for line in read_lines(DATA / "postgres.other.txt")]
    return corpus, other


# --------------------------------------------------------------------------- windows


def han_windows(sentence: str, n: int) -> Iterator[str]:
    """Cut text into consecutive n-character windows that are mostly letters."""
    for start in range(0, len(sentence), n):
        win = sentence[start : start + n].strip()
        letters = sum(ch.isalpha() for ch in win)
        if len(win) == n and letters * 2 >= n:
            yield win


def word_windows(sentence: str, n: int) -> Iterator[str]:
    """Cut Latin text at word boundaries into chunks of about n characters."""
    chunk: list[str] = []
    for word in sentence.split():
        if chunk and len(" ".join([*chunk, word])) > n:
            yield " ".join(chunk)
            chunk = []
        chunk.append(word)
        if len(word) > n:
            chunk = []  # a single word longer than the window: skip it
    if chunk:
        yield " ".join(chunk)


def samples(sentences: Iterable[str], n: int | None) -> list[str]:
    """All windows of size n (or whole sentences for None), deduplicated, in order."""
    out: dict[str, None] = {}
    for sent in sentences:
        if n is None:
            out[sent] = None
            continue
        latin = len(LATIN_RE.findall(sent)) * 2 >= sum(ch.isalpha() for ch in sent)
        cut = word_windows(sent, n) if latin else han_windows(sent, n)
        for win in cut:
            if sum(ch.isalpha() for ch in win) * 2 >= n:
                out[win] = None
    return list(out)


def pick(items: list[str], key: str) -> list[str]:
    """Reproducible sample of at most CAP items."""
    if len(items) <= CAP:
        return items
    return random.Random(f"{SEED}/{key}").sample(items, CAP)


# --------------------------------------------------------------------------- scoring


@dataclass
class Cell:
    """Counts for one (locale, length) cell."""

    n: int = 0
    ld_ok: int = 0
    ok: int = 0
    unsure: int = 0
    ld_answers: Counter[str] = field(default_factory=Counter)


def raw_langdetect() -> Callable[[str], str]:
    """Plain seeded langdetect.detect, as most code uses it; errors read as "error"."""
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(text: str) -> str:
        try:
            return detect(text)
        except LangDetectException:
            return "error"

    return run


def pct(part: int, whole: int) -> str:
    """Format a share as a percentage."""
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def label(n: int | None) -> str:
    """Name of a length bucket."""
    return "sentence" if n is None else f"{n} chars"


def main() -> None:
    """Print the accuracy table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", action="store_true", help="rebuild the saved corpus")
    parser.add_argument("--no-policy", action="store_true", help="ignore ../shared/policy")
    parser.add_argument("--timing", action="store_true", help="also time both detectors")
    args = parser.parse_args()
    if args.extract:
        extract()
    corpus, other = load_corpus(not args.no_policy)
    langdetect = raw_langdetect()

    print("Corpus (sentences per source):")
    for loc in LOCALES:
        parts = ", ".join(f"{src} {len(s)}" for src, s in corpus[loc].items())
        print(f"  {loc:8} {parts}")
    print(f"  {OTHER:8} postgres {len(other)} (de es fr it sv ru ja ko)")
    if args.no_policy or not POLICY.is_dir():
        print("  (policy texts not used)")
    print()
    header = (
        f"{'locale':8} {'length':9} {'n':>4}  {'langdetect':>10}  {'detect_locale':>13}"
        f"  {'unsure':>6}  {'wrong':>6}   langdetect's top answers"
    )
    print(header)
    print("-" * len(header))
    by_locale: dict[str, list[str]] = {}
    for loc in (*LOCALES, OTHER):
        for n in BUCKETS:
            if loc == OTHER:
                sents = other
            else:
                # windows come from every source; whole sentences leave out holiday names
                sents = [
                    s
                    for src, texts in corpus[loc].items()
                    if n is not None or src != "holidays"
                    for s in texts
                ]
            texts = pick(samples(sents, n), f"{loc}/{n}")
            cell = Cell()
            for text in texts:
                got, raw = detect_locale(text), langdetect(text)
                want = None if loc == OTHER else loc
                cell.n += 1
                cell.ld_answers[raw] += 1
                cell.ld_ok += LANGDETECT_MAP.get(raw) == want
                cell.ok += got == want
                cell.unsure += got is None and want is not None
            by_locale.setdefault(loc, []).extend(texts)
            top = ", ".join(
                f"{k} {100 * v / cell.n:.0f}%" for k, v in cell.ld_answers.most_common(3)
            )
            wrong = cell.n - cell.ok - cell.unsure
            print(
                f"{loc:8} {label(n):9} {cell.n:4}  {pct(cell.ld_ok, cell.n):>10}  "
                f"{pct(cell.ok, cell.n):>13}  {pct(cell.unsure, cell.n):>6}  "
                f"{pct(wrong, cell.n):>6}   {top}"
            )
        print()
    print("langdetect: answer mapped zh-tw->zh_Hant, zh-cn->zh_Hans, en->en, anything else wrong.")
    print("detect_locale: unsure = None; for 'other' (languages we do not serve) None is right,")
    print("so there 'detect_locale' is the share answered None and 'wrong' any locale claimed.")
    if args.timing:
        timing(by_locale, langdetect)


def timing(by_locale: dict[str, list[str]], langdetect: Callable[[str], str]) -> None:
    """Print time per call for the <= 16-character samples (machine-dependent, so opt-in)."""
    from bot import language

    language.warm_up()
    langdetect("warm up")
    print()
    print("Time per call, samples of <= 16 characters, memo cache cleared:")
    for loc, texts in by_locale.items():
        short = list(dict.fromkeys(t for t in texts if len(t) <= 16))
        row = []
        for name, fn in (("detect_locale", detect_locale), ("langdetect", langdetect)):
            language._detect_cached.cache_clear()
            times = []
            for text in short:
                start = time.perf_counter()
                fn(text)
                times.append(time.perf_counter() - start)
            times.sort()
            mean = sum(times) / len(times) * 1e6
            p95 = times[int(0.95 * (len(times) - 1))] * 1e6
            row.append(f"{name} mean {mean:6.0f} µs, p95 {p95:6.0f} µs")
        print(f"  {loc:8} n={len(short):4}  " + "   ".join(row))


if __name__ == "__main__":
    main()
