"""Stage 2: articles to sections.

A *section* is the lead (everything from the article's first line up to the first heading,
ordinal 0), a headed body section (from its heading line up to the next heading), or a
teaser (the text after a "次のページを読む" link, which summarises the next page).

Headings are found by general layout rules, never by file name or line number:

* explicit markers: Markdown ``#`` headings, ``【…】`` lines, ``■●◆◇□▼▶★`` lines, ``第N章/節/部``,
  numbered headings (``1. …``, ``(1) …``, ``①…``);
* dense layouts (no blank lines between paragraphs): a short heading-shaped line directly
  followed by a question line (ending in ? or ?) and not itself the answer to a question;
* blank-line layouts: a short heading-shaped line that stands alone between blank lines and is
  followed by a longer paragraph.

"Heading-shaped" means short, without sentence-final punctuation or endings (。, ます, です…),
with balanced brackets and not cut off (``…``), so truncated quotes and ordinary short sentences
are not headings. The first line is the title and always belongs to the lead.

Boilerplate lines (share buttons, "コメント", a repeated title line, the "次のページを読む"
link…) are listed in the ``boilerplate`` table and masked out of the text that later stages
analyse; ``sections.text`` always equals ``original[char_start:char_end]``.

``sections`` columns: section_id, article_id, ordinal, kind (lead/body/teaser), heading,
line_start, line_end (1-based), char_start, char_end, published, text, plus the in-memory
column ``analysis_text``: ``text`` with boilerplate lines blanked to spaces (same length, so
offsets hold).

``boilerplate`` columns: article_id, line, text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .ingest import is_livedoor_header
from .textutil import line_spans, normalize, published_date

SECTION_COLUMNS = [
    "section_id", "article_id", "ordinal", "kind", "heading", "line_start", "line_end",
    "char_start", "char_end", "published", "text", "analysis_text",
]
BOILERPLATE_COLUMNS = ["article_id", "line", "text"]

MAX_HEADING_CHARS = 45
MAX_QUESTION_CHARS = 60
_BOILERPLATE_RE = re.compile(
    r"^(?:YouTube速報|コメント|コメントする|コメント一覧|タイトルとURLをコピーしました|"
    r"この記事をシェア(?:する)?|シェアする|ツイート|いいね|スポンサーリンク|広告|PR|"
    r"関連記事|人気記事|おすすめ記事|目次|この記事を書いた人|Share|Tweet|"
    r"[\[［(（]?(?:記事|続き)を読む[\]］)）]?)$",
    re.IGNORECASE,
)
_NEXT_PAGE_RE = re.compile(r"^(?:次のページ(?:を読む|へ)|続きを読む|次ページ)\s*[⇒→>＞»]*\s*$")
_EXPLICIT_HEADING_RES = (
    re.compile(r"^#{1,6}\s+\S"),
    re.compile(r"^【[^】]{1,30}】\s*\S{0,40}$"),
    re.compile(r"^[■●◆◇□▼▶★◎]\s*\S"),
    re.compile(r"^第[0-9０-９一二三四五六七八九十百]+[章節部回]"),
    re.compile(r"^(?:\d{1,2}|[０-９]{1,2})\s*[.．)）]\s*\S"),
    re.compile(r"^[(（](?:\d{1,2}|[０-９]{1,2})[)）]\s*\S"),
    re.compile(r"^[①-⑳]\s*\S"),
)
_BULLET_START = (*tuple("✅💡•・-*+>※▪◦»"), "- ", "* ", "> ", "「", "『", "“", '"')
_SENTENCE_FINAL = (*tuple("。.!!??…"), "...", "・・・")
_SENTENCE_ENDING_RE = re.compile(
    r"(?:ます|ました|ません|ましょう|です|でした|でしょう|ください|だ|だった|である|った|ない|"
    r"よ|ね|わ|な|か|けど|から|ので|のに|て|で|が|を|に|は|へ|も|や|と|し)$"
)
_QUESTION_END = ("?", "?")
_BRACKETS = ("「」", "『』", "\uff08\uff09", "()", "【】", "[]", "［］", "〈〉", "《》", "“”")


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based
    start: int
    end: int  # end of content, before the line break
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()


def _balanced(text: str) -> bool:
    return all(text.count(pair[0]) == text.count(pair[1]) for pair in _BRACKETS)


def heading_shaped(line: str) -> bool:
    """True for a short line that could be a heading: not a sentence, bullet, URL or fragment."""
    s = line.strip()
    if not 2 <= len(s) <= MAX_HEADING_CHARS:
        return False
    if s.startswith(_BULLET_START) or "http://" in s or "https://" in s:
        return False
    if s.endswith(_SENTENCE_FINAL) or not _balanced(s):
        return False
    if "。" in s:
        return False
    return not _SENTENCE_ENDING_RE.search(normalize(s).rstrip(")]」』 "))


def explicit_heading(line: str) -> bool:
    """True for a line with an explicit heading marker (Markdown, 【】, ■, 第N章, numbering)."""
    s = line.strip()
    if not s or len(s) > 60:
        return False
    if not any(rx.match(s) for rx in _EXPLICIT_HEADING_RES):
        return False
    body = re.sub(r"^(?:#{1,6}|[■●◆◇□▼▶★◎]|第\S+?[章節部回]|\S{1,3}?[.．)）]|[①-⑳])\s*", "", s)
    return not body.endswith(("。", "...", "…")) and _balanced(s)


def is_boilerplate(line: str) -> bool:
    s = line.strip()
    return bool(s) and bool(_BOILERPLATE_RE.match(s) or _NEXT_PAGE_RE.match(s))


def _is_question(line: str) -> bool:
    """A short question line, as under headings in Q&A layouts (long summaries do not count)."""
    s = line.strip()
    return s.endswith(_QUESTION_END) and len(s) <= MAX_QUESTION_CHARS


def _find_headings(lines: list[_Line], first_body: int, masked: set[int]) -> list[int]:
    """Indices (into ``lines``) of heading lines."""
    content = [i for i, ln in enumerate(lines) if ln.stripped and i not in masked]
    n_blank = sum(1 for ln in lines if not ln.stripped)
    blank_layout = n_blank >= 0.25 * max(1, len(content))
    headings = []
    for pos, i in enumerate(content):
        if i < first_body:
            continue
        line = lines[i]
        prev_i = content[pos - 1] if pos > 0 else None
        next_i = content[pos + 1] if pos + 1 < len(content) else None
        if prev_i is not None and _is_question(lines[prev_i].text) and prev_i == i - 1:
            continue  # the short answer under a question, not a heading
        if explicit_heading(line.text):
            headings.append(i)
            continue
        if not heading_shaped(line.text) or next_i is None:
            continue
        next_text = lines[next_i].stripped
        if (next_i == i + 1 and _is_question(next_text)) or (
            blank_layout
            and (i == 0 or not lines[i - 1].stripped)
            and i + 1 < len(lines) and not lines[i + 1].stripped
            and len(next_text) >= max(2 * len(line.stripped), 40)
        ):
            headings.append(i)
    return headings


def segment_article(
    article_id: str, text: str, published: str = ""
) -> tuple[list[dict], list[dict]]:
    """Split one article's text into section rows and boilerplate rows."""
    lines = [
        _Line(n, start, end, text[start:end])
        for n, (start, end, _next) in enumerate(line_spans(text), start=1)
    ]
    raw = [ln.text for ln in lines]
    first_body = 3 if is_livedoor_header(raw) else 0
    title = next((ln.stripped for ln in lines[first_body:] if ln.stripped), "")

    masked: set[int] = set(range(first_body))
    teaser_from: int | None = None
    seen_title = False
    for i, ln in enumerate(lines):
        if i < first_body or not ln.stripped:
            continue
        s = ln.stripped
        if s == title and not seen_title:
            seen_title = True
            continue
        if is_boilerplate(s) or s == title:
            masked.add(i)
            if _NEXT_PAGE_RE.match(s) and teaser_from is None:
                teaser_from = i + 1
    # Nothing after the teaser's text is a heading of this page.
    limit = teaser_from if teaser_from is not None else len(lines)
    headings = _find_headings(lines[:limit], first_body + 1, masked)

    starts = [(first_body, "lead")] + [(h, "body") for h in headings]
    if teaser_from is not None and any(
        lines[j].stripped and j not in masked for j in range(teaser_from, len(lines))
    ):
        starts.append((teaser_from, "teaser"))
    ends = [s for s, _ in starts[1:]] + [len(lines)]

    sections: list[dict] = []
    for (begin, kind), stop in zip(starts, ends, strict=True):
        keep = [j for j in range(begin, stop) if lines[j].stripped and j not in masked]
        if not keep:
            continue
        first, last = lines[keep[0]], lines[keep[-1]]
        span_text = text[first.start : last.end]
        analysis = list(span_text)
        for j in range(keep[0], keep[-1] + 1):
            if j in masked:
                for k in range(lines[j].start - first.start, lines[j].end - first.start):
                    analysis[k] = " "
        own_date = next((d for j in keep if (d := published_date(lines[j].text))), "")
        ordinal = len(sections)
        sections.append({
            "section_id": f"{article_id}#{ordinal}",
            "article_id": article_id,
            "ordinal": ordinal,
            "kind": kind,
            "heading": normalize_heading(first.stripped) if kind == "body" else "",
            "line_start": first.number,
            "line_end": last.number,
            "char_start": first.start,
            "char_end": last.end,
            "published": own_date or published,
            "text": span_text,
            "analysis_text": "".join(analysis),
        })
    boilerplate = [
        {"article_id": article_id, "line": lines[j].number, "text": lines[j].stripped}
        for j in sorted(masked) if j >= first_body
    ]
    return sections, boilerplate


def normalize_heading(line: str) -> str:
    """Heading text without its Markdown marker."""
    return re.sub(r"^#{1,6}\s+", "", line.strip())


def segment(articles: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split every article into sections.

    Parameters
    ----------
    articles : DataFrame
        The ``articles`` table from :func:`pipeline.ingest.ingest` (needs article_id, text,
        published).

    Returns
    -------
    sections : DataFrame of shape (n_sections, 12)
    boilerplate : DataFrame of shape (n_boilerplate_lines, 3)
    """
    section_rows: list[dict] = []
    boilerplate_rows: list[dict] = []
    for article in articles.itertuples(index=False):
        secs, boiler = segment_article(article.article_id, article.text, article.published)
        section_rows.extend(secs)
        boilerplate_rows.extend(boiler)
    sections = pd.DataFrame(section_rows, columns=SECTION_COLUMNS)
    sections = sections.astype({
        "ordinal": "int64", "line_start": "int64", "line_end": "int64",
        "char_start": "int64", "char_end": "int64",
    })
    return sections, pd.DataFrame(boilerplate_rows, columns=BOILERPLATE_COLUMNS)
