"""PNG charts for reports, labelled in the reader's language.

matplotlib draws off-screen (Agg); Chinese labels use the Noto Sans CJK font that the mplfonts
package ships, so no system font is needed. matplotlib is imported on first use: the bot
does not carry it until someone asks for a chart.
"""

from __future__ import annotations

import importlib.util
import io
import threading
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from domain.cases import CaseKind, CaseStatus
from domain.receivables import BUCKET_LABEL, Bucket
from handlers.context import Translator
from services.cases import CATEGORY_LABEL, KIND_LABEL
from services.casework import STATUS_LABEL, Report
from services.receivables import Overview

_LOCK = threading.Lock()  # pyplot keeps global state
COLOURS = {
    CaseStatus.OPEN: "#d62728",
    CaseStatus.ACKNOWLEDGED: "#ff7f0e",
    CaseStatus.SOLUTION_PROPOSED: "#bcbd22",
    CaseStatus.RESOLVED: "#17becf",
    CaseStatus.CLOSED: "#2ca02c",
    CaseStatus.REOPENED: "#9467bd",
}


@cache
def _font() -> Any:
    """Register the bundled CJK font with matplotlib once; return its properties."""
    from matplotlib import font_manager

    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / \
        "NotoSansCJKsc-Regular.otf"
    if not path.exists():
        return None
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def complaints_chart(t: Translator, report: Report) -> bytes:
    """Cases per category, each bar split by status; returns PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    with _LOCK:
        font = _font()
        if font is not None:
            plt.rcParams["font.family"] = font.get_name()
        categories = sorted(report.by_category, key=lambda c: -report.by_category[c])
        names = [t.gettext(CATEGORY_LABEL[c]) if c else t.gettext(KIND_LABEL[CaseKind.INQUIRY])
                 for c in categories]
        counts = report.by_category_status
        fig, ax = plt.subplots(figsize=(7, 0.6 * len(names) + 1.8), dpi=110)
        try:
            left = [0] * len(categories)
            for status in CaseStatus:
                values = [counts.get((c, status), 0) for c in categories]
                if not any(values):
                    continue
                ax.barh(names, values, left=left, color=COLOURS[status],
                        label=t.gettext(STATUS_LABEL[status]))
                left = [a + b for a, b in zip(left, values, strict=True)]
            ax.invert_yaxis()
            ax.set_xlabel(t.gettext("Cases"))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(t.gettext("Cases by category and status"))
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3,
                      fontsize="small", frameon=False)
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="png")
            return out.getvalue()
        finally:
            plt.close(fig)


def aging_chart(t: Translator, view: Overview) -> bytes:
    """Open receivables per aging bucket, one group of bars per currency; PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    with _LOCK:
        font = _font()
        if font is not None:
            plt.rcParams["font.family"] = font.get_name()
        currencies = sorted(view.totals)
        fig, axes = plt.subplots(1, len(currencies), figsize=(3.6 * len(currencies) + 1.5, 3.8),
                                 dpi=110, squeeze=False)
        try:
            shades = ["#2ca02c", "#bcbd22", "#ff7f0e", "#d62728", "#7f0000"]
            for ax, currency in zip(axes[0], currencies, strict=True):
                values = [float(view.totals[currency][b]) for b in Bucket]
                ax.bar([t.gettext(BUCKET_LABEL[b]) for b in Bucket], values, color=shades)
                ax.set_title(currency)
                ax.tick_params(axis="x", labelrotation=30, labelsize="small")
                # Amounts with the reader's thousands separators, not 1e6 or 1000000.
                ax.yaxis.set_major_formatter(FuncFormatter(
                    lambda value, _: t.number(Decimal(int(value)))))
            fig.suptitle(t.gettext("Receivables by age"))
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="png")
            return out.getvalue()
        finally:
            plt.close(fig)
