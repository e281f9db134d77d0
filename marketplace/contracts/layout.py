"""Lay out the contract markup (title, sections, bullets, tables, paragraphs) into a PDF with fpdf2."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

# The core Helvetica font (no embedding, fast) draws Latin-1. Text beyond it switches the document to
# DejaVu Sans (Latin, Greek, Cyrillic; embedded as a subset) when installed; without DejaVu, such text is
# transliterated (Ł -> L) or replaced by "?". Characters no font here has (e.g. CJK) become "?".
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
UNICODE_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FONT_FAMILY_UNICODE = "DejaVu"
FONT_FAMILY_CORE = "helvetica"

# Latin letters that NFKD does not decompose into a base letter plus accents.
_TRANSLITERATION = str.maketrans(
    {
        "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Œ": "OE", "œ": "oe",  # noqa: RUF001
        "Ŋ": "N", "ŋ": "n", "ſ": "s", "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"',  # noqa: RUF001
        "–": "-", "—": "-", "‑": "-", "…": "...", "•": "-", "€": "EUR", "™": "(TM)",  # noqa: RUF001
    }
)  # fmt: skip
LINE_HEIGHT = 5  # mm, for 10 pt body text
_NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
_TABLE_SEPARATOR = re.compile(r"^\|\s*:?-{3,}")
_ESCAPED = re.compile(r"\\(.)")


@dataclass(frozen=True)
class FontSet:
    """The fonts one document uses and the characters they can draw."""

    family: str
    files: dict[str, Path] | None
    codepoints: frozenset[int] | None

    def sanitize(self, text: str) -> str:
        """Replace what the font cannot draw: transliterate for the core font, '?' when nothing fits."""
        text = unicodedata.normalize("NFC", text)
        if self.codepoints is not None:
            return "".join(ch if ord(ch) in self.codepoints or ch in "\n" else "?" for ch in text)
        return "".join(_to_latin1(ch) for ch in text)

    @property
    def bullet(self) -> str:
        """The bullet glyph: a real one when the font has it."""
        return "•" if self.codepoints is not None and ord("•") in self.codepoints else "-"


def _to_latin1(ch: str) -> str:
    """One character as Latin-1 text: itself, a transliteration, its base letter, or '?'."""
    if ord(ch) < 256:
        return ch
    mapped = ch.translate(_TRANSLITERATION)
    if mapped != ch:
        return mapped
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(ord(c) < 256 for c in base) else "?"


CORE_FONTS = FontSet(FONT_FAMILY_CORE, None, None)


@cache
def unicode_fonts() -> FontSet | None:
    """DejaVu Sans regular and bold when installed (looked up once per process), else None."""
    files: dict[str, Path] = {}
    for style, name in UNICODE_FONT_FILES.items():
        found = next((p for d in FONT_DIRS if d.is_dir() for p in sorted(d.rglob(name))), None)
        if found is None:
            return None
        files[style] = found
    from fontTools.ttLib import TTFont  # fpdf2 depends on fontTools

    with TTFont(files[""], lazy=True) as font:
        codepoints = frozenset(font.getBestCmap())
    return FontSet(FONT_FAMILY_UNICODE, files, codepoints)


def fonts_for(text: str) -> FontSet:
    """The core font when the text is Latin-1, else the Unicode font when installed, else the core font."""
    if all(ord(ch) < 256 for ch in unicodedata.normalize("NFC", text)):
        return CORE_FONTS
    return unicode_fonts() or CORE_FONTS


class ContractPdf(FPDF):
    """An A4 document with the contract id and page numbers in the footer."""

    def __init__(
        self, fonts: FontSet, footer_text: str, created: datetime, page_numbers: bool = True
    ) -> None:
        """Register the fonts and fix every varying field so equal input gives equal bytes."""
        super().__init__(orientation="P", unit="mm", format="A4")
        self.fonts_used = fonts
        self.footer_text = fonts.sanitize(footer_text)
        self.page_numbers = page_numbers
        self.set_creation_date(as_utc(created))
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)
        if fonts.files:
            for style, path in fonts.files.items():
                self.add_font(fonts.family, style, str(path))
        self.set_font(fonts.family, size=10)

    def footer(self) -> None:
        """Contract reference and, unless turned off, 'page n of N' on every page."""
        self.set_y(-14)
        self.set_font(self.fonts_used.family, size=8)
        self.set_text_color(110)
        numbering = f" - page {self.page_no()} of {{nb}}" if self.page_numbers else ""
        self.cell(0, 5, self.footer_text + numbering, align=Align.C)
        self.set_text_color(0)

    def heading(self, text: str, level: int) -> None:
        """A title (level 1) or a section heading (level 2) kept off the foot of a page."""
        size, before, after = (16, 0.0, 6.0) if level == 1 else (12, 4.0, 2.0)
        if self.get_y() + before + 20 > self.page_break_trigger:
            self.add_page()
        self.ln(before)
        self.set_font(self.fonts_used.family, "B", size)
        align = Align.C if level == 1 else Align.L
        self.multi_cell(0, size * 0.5, self.fonts_used.sanitize(text), align=align, **_NEXT_LINE)
        self.ln(after)
        self.set_font(self.fonts_used.family, size=10)

    def paragraph(self, text: str) -> None:
        """A left-aligned paragraph followed by a small gap."""
        self.text_lines(self.fonts_used.sanitize(text), self.l_margin, self.epw)
        self.ln(2)

    def bullet(self, text: str) -> None:
        """An indented bullet whose wrapped lines align under its text."""
        if self.get_y() + LINE_HEIGHT > self.page_break_trigger:
            self.add_page()
        self.set_x(self.l_margin + 2)
        self.cell(5, LINE_HEIGHT, self.fonts_used.bullet)
        self.text_lines(self.fonts_used.sanitize(text), self.l_margin + 7, self.epw - 7)
        self.ln(1)

    def text_lines(self, text: str, x: float, width: float) -> None:
        """Write text wrapped to `width`, one cell per line starting at `x` (pages break as needed)."""
        for line in self.wrap(text, width - 2 * self.c_margin):
            self.set_x(x)
            self.cell(width, LINE_HEIGHT, line, **_NEXT_LINE)

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap; words wider than a line are cut between characters."""
        # Measured word by word: fpdf2's multi_cell re-measures the line for every character added,
        # which took most of the rendering time.
        measure = self.get_string_width
        space = measure(" ")
        lines: list[str] = []
        current, current_width = "", 0.0
        for word in text.split():
            word_width = measure(word)
            if current and current_width + space + word_width <= width:
                current, current_width = f"{current} {word}", current_width + space + word_width
                continue
            if current:
                lines.append(current)
            while word_width > width:
                cut = self._fitting_prefix(word, width)
                lines.append(word[:cut])
                word = word[cut:]
                word_width = measure(word)
            current, current_width = word, word_width
        if current or not lines:
            lines.append(current)
        return lines

    def _fitting_prefix(self, word: str, width: float) -> int:
        """Length of the longest prefix of `word` that fits in `width` (at least one character)."""
        used = 0.0
        for index, ch in enumerate(word):
            used += self.get_string_width(ch)
            if used > width:
                return max(index, 1)
        return len(word)

    def table_rows(self, rows: list[list[str]]) -> None:
        """A table whose first row is the header; column widths follow the longest cell of each column."""
        columns = max(len(row) for row in rows)
        rows = [row + [""] * (columns - len(row)) for row in rows]
        widths = tuple(max(4, *(len(row[i]) for row in rows)) for i in range(columns))
        heading_style = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
        self.set_font(self.fonts_used.family, size=9)
        with self.table(
            col_widths=widths,
            headings_style=heading_style,
            line_height=5,
            cell_fill_mode=TableCellFillMode.NONE,
            text_align="LEFT",
        ) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(self.fonts_used.sanitize(value))
        self.set_font(self.fonts_used.family, size=10)
        self.ln(3)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def split_cells(line: str) -> list[str]:
    """Cells of a '| a | b |' row, honouring backslash-escaped pipes inside values."""
    cells, current, chars = [], [], iter(line.strip()[1:])
    for ch in chars:
        if ch == "\\":
            current.append(next(chars, ""))
        elif ch == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        cells.append("".join(current).strip())
    return cells


def unescape(text: str) -> str:
    """Drop the backslashes the template put before '|' and '\\' in values."""
    return _ESCAPED.sub(r"\1", text)


Block = tuple[str, str | list[list[str]]]


def blocks(markup: str) -> Iterator[Block]:
    """Split markup into ('h1'|'h2'|'bullet'|'paragraph', text) and ('table', rows) blocks."""
    paragraph: list[str] = []
    table: list[list[str]] = []
    for raw in [*markup.splitlines(), ""]:
        line = raw.strip()
        if table and not line.startswith("|"):
            yield "table", table
            table = []
        if paragraph and (not line or line.startswith(("# ", "## ", "- ", "|"))):
            yield "paragraph", unescape(" ".join(paragraph))
            paragraph = []
        if not line:
            continue
        if line.startswith("|"):
            if not _TABLE_SEPARATOR.match(line):
                table.append(split_cells(line))
        elif line.startswith("## "):
            yield "h2", unescape(line[3:])
        elif line.startswith("# "):
            yield "h1", unescape(line[2:])
        elif line.startswith("- "):
            yield "bullet", unescape(line[2:])
        else:
            paragraph.append(line)


def layout_markup(
    markup: str, footer_text: str, created: datetime, title: str, page_numbers: bool = True
) -> bytes:
    """Lay the markup out on A4 pages and return the PDF bytes."""
    pdf = ContractPdf(fonts_for(markup + footer_text + title), footer_text, created, page_numbers)
    pdf.set_title(pdf.fonts_used.sanitize(title))
    pdf.set_creator("marketplace contracts")
    pdf.add_page()
    previous = ""
    for kind, content in blocks(markup):
        if previous == "bullet" and kind != "bullet":
            pdf.ln(1.5)
        previous = kind
        if isinstance(content, list):
            pdf.table_rows(content)
        elif kind in ("h1", "h2"):
            pdf.heading(content, level=1 if kind == "h1" else 2)
        elif kind == "bullet":
            pdf.bullet(content)
        else:
            pdf.paragraph(content)
    return bytes(pdf.output())
