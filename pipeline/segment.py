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
from typing import NamedTuple

import pandas as pd

from .furniture import NO_FURNITURE, Furniture, body_start, line_key, title_labels
from .tables import NO_THEME_KINDS
from .textutil import (
    normalize,
    normalize_heading,
    published_date,
    split_sentences,
    trim_span,
)

SECTION_COLUMNS = [
    "section_id", "article_id", "ordinal", "kind", "heading", "level", "parent_id",
    "heading_path", "line_start", "line_end", "char_start", "char_end", "published", "text",
    "analysis_text",
]
BOILERPLATE_COLUMNS = ["article_id", "line", "text"]
SENTENCE_COLUMNS = ["section_id", "sentence_id", "kind", "text", "char_start", "char_end"]
CITATION_COLUMNS = ["section_id", "outlet", "url", "note"]

MAX_HEADING_CHARS = 45
MAX_QUESTION_CHARS = 60
_BOILERPLATE_RE = re.compile(
    r"^(?:YouTube速報|コメント|コメントする|コメント一覧|タイトルとURLをコピーしました|"
    r"この記事をシェア(?:する)?|シェアする|ツイート|いいね|スポンサーリンク|広告|PR|"
    r"関連記事|人気記事|おすすめ記事|目次|この記事を書いた人|Share|Tweet|"
    r"記事をお気に入りに登録.{0,20}|この記事をツイート|この記事にコメント.{0,10}|"
    r"[…]*[\[［(（]?(?:記事|続き)を読む[\]］)）]?)$",
    re.IGNORECASE,
)
# A "related articles/links" heading: it and the link lines under it are boilerplate.
_RELATED_RE = re.compile(
    r"^[■●◆◇□▼▶★◎【\[［＜<]?\s*(?:関連記事|関連リンク|関連情報|関連ニュース|関連URL|関連サイト|"
    r"おすすめ記事|人気記事|あわせて読みたい|合わせて読みたい|こちらもおすすめ)\s*[】\]］＞>]?\s*$"
)
# A table-of-contents line with a dot leader and a page number (1．概況 ………… 2).
_LEADER_RE = re.compile(r"(?:…{2,}|\.{4,}|・{4,}|‥{2,}|－{4,})\s*[0-9０-９]{1,4}\s*$")
# Prize and campaign notices (■プレゼント応募期間■, 抽選で3名様にプレゼント…): the words of
# the notice, not of the article.
_PROMOTION_RE = re.compile(r"応募|当選|賞品|プレゼント|キャンペーン|抽選|名様|発送|締め?切り?")


def is_promotion(line: str) -> bool:
    """A line of a prize or campaign notice: two of its words (■賞品・応募数■, 抽選で3名様に
    プレゼント); one is not enough (■発売記念キャンペーン is a press release's heading)."""
    found = set(_PROMOTION_RE.findall(line))
    return len(found) >= 2


# Site furniture on a line of its own: "more articles" links (■デジ通の記事をもっと見る),
# bylines and credits (記事執筆：…, 上倉賢 @kamikura), and link items naming their site
# (・見出し - Sports Watch).
MAX_FURNITURE_CHARS = 60
_MORE_LINK_RE = re.compile(r"(?:を?もっと(?:見る|読む)|一覧(?:へ|を見る|はこちら))\s*[>＞»]*$")
_LINK_ITEM_RE = re.compile(
    r"^[・•]\s*\S.{2,80}?\s[-－–]\s+(?:[A-Za-z][\w .!&'’-]{1,30}|\S{0,12}(?:新聞|通信|ニュース|"
    r"日報|タイムズ|オンライン|ドットコム))(?:\s+\d{4}[./]\d{1,2}[./]\d{1,2})?\s*$")
_PAGER_START = frozenset("0123456789<＜«‹前-－―")
# A table of contents' own title (○添付資料の目次, ■目次).
_CONTENTS_RE = re.compile(r"^[○〇■●◆◇□]?\s*\S{0,12}の?目次$")
# A pager (1 2 3 次ページ, < 1 2 3 >) or a page number line (- 2 -).
_PAGER_RE = re.compile(
    r"^(?:[<＜«‹]\s*|前へ\s*)?(?:[0-9]{1,2}\s+){1,}[0-9]{1,2}\s*(?:次ページ|次へ|[>＞»›])?\s*$"
    r"|^[-－―]\s*[0-9０-９]{1,3}\s*[-－―]$")
_NEXT_PAGE_RE = re.compile(r"^(?:次のページ(?:を読む|へ)|続きを読む|次ページ)\s*[⇒→>＞»]*\s*$")
# An FAQ's numbered question (Q1. …): the title of its answer.
_FAQ_QUESTION_RE = re.compile(r"^[QＱ]\s*(?:\d{1,2}|[０-９]{1,2})\s*[.．:：)）]?\s*\S")
_EXPLICIT_HEADING_RES = (
    re.compile(r"^#{1,6}\s+\S"),
    re.compile(r"^【[^】]{1,30}】\s*\S{0,40}$"),
    re.compile(r"^[■●◆◇□▼▶★◎]\s*\S"),
    # 第3回　…, not 第217回国会 (a session's name)
    re.compile(r"^第[0-9０-９一二三四五六七八九十百]+(?:[章節部]|回(?=[\s　:：「『]|$))"),
    re.compile(r"^(?:\d{1,2}|[０-９]{1,2})\s*[.．)）]\s*\S"),
    re.compile(r"^[(（](?:\d{1,2}|[０-９]{1,2})[)）]\s*\S"),
    re.compile(r"^[①-⑳]\s*\S"),
    # white papers and ministry summaries: 1　見出し, ア　見出し, (ア)見出し, ＜見出し＞
    # (not a pager's "1 2 3")
    re.compile(r"^(?:\d{1,2}|[０-９]{1,2}|[アイウエオカキクケコサシスセソ])[ \u3000]+"
               r"(?![\d\s]+$)\S.{0,30}$"),
    re.compile(r"^[(（][アイウエオカキクケコサシスセソ][)）]\s*\S"),
    re.compile(r"^[＜<][^＞>]{2,30}[＞>]$"),
    # kanji and Roman numbering (一　はじめに, （二）経済, Ⅱ．経緯), a column box (コラム1　…),
    # a blog's ＼見出し／
    re.compile(r"^[一二三四五六七八九十]{1,3}[ \u3000、．.]\s*\S"),
    re.compile(r"^[(（][一二三四五六七八九十]{1,3}[)）]\s*\S"),
    re.compile(r"^(?:[Ⅰ-Ⅻ][.．、 \u3000]|[IVX]{1,5}[.．])\s*\S"),  # not "I think"
    re.compile(r"^コラム\s*[0-9０-９]{0,2}[ \u3000:：]\s*\S"),
    re.compile(r"^＼[^／]{2,30}／$"),
    # a Diet answer (答弁書) over the question it answers: 一について, 二の1及び2について
    re.compile(r"^[一二三四五六七八九十]{1,3}(?:の[0-9０-９]{1,2}(?:(?:及び|から)[0-9０-９]{1,2})?)?"
               r"について$"),
    _FAQ_QUESTION_RE,
)
_ANSWER_RE = re.compile(r"^[AＡ]\s*(?:\d{1,2}|[０-９]{1,2})?\s*[.．:：)）]")
# A byline or credit: 記事執筆：…, 文・写真／…, 筆者＠handle.
_BYLINE_RE = re.compile(r"^(?:記事執筆|執筆者?|文|取材|撮影|構成|編集|文・写真|写真・文|聞き手|"
                        r"text|photo|written by)\s*[:：/／・]|[@＠][A-Za-z0-9_]", re.IGNORECASE)
_UNIT_AFTER_NUMBER_RE = re.compile(r"^[0-9０-９]{1,2}[ \u3000]+[A-Za-z%]{1,3}$")
_EXPLICIT_HEADING_RE = re.compile("|".join(f"(?:{rx.pattern})" for rx in _EXPLICIT_HEADING_RES))
# News datelines such as 【ワシントン共同】 or 【北京＝山田太郎】 open a paragraph; not headings.
_DATELINE_RE = re.compile(
    r"^(?:【[^】]*(?:共同|時事|ロイター|AFP|AP|発|支局|特派員|[=＝])[^】]*】"
    r"|【[^】]{1,10}】\s*(?:\d{4}年|\d{1,2}月\d{1,2}日))")
# Photo and figure captions are not headings.
_CAPTION_RE = re.compile(
    r"^(?:(?:写真|画像|図表?|表|イラスト|動画)\s*[:：（(]"
    r"|【(?:写真|画像|動画|図解?|地図|グラフ|表|チャート|イラスト)[^】]{0,8}】)")
_BULLET_START = (*tuple("✅💡•・-*+>※▪◦»"), "- ", "* ", "> ", "「", "『", "“", '"')
_SENTENCE_FINAL = (*tuple("。.!!??…、,，:：;；"), "...", "・・・")
_SENTENCE_ENDING_RE = re.compile(
    r"(?:ます|ました|ません|ましょう|です|でした|でしょう|ください|だ|だった|である|った|ない|"
    r"よ|ね|わ|な|か|けど|から|ので|のに|て|で|が|を|に|は|へ|も|や|と|し)$"
)
_POLITE_ENDING_RE = re.compile(
    r"(?:ます|ました|ません|ましょう|です|でした|でしょう|ください|だ|だった|である|った)$")
# Section names of reports that end like a sentence fragment.
_SECTION_WORDS = frozenset({"はじめに", "初めに", "始めに", "おわりに", "終わりに", "むすびに",
                            "結びに", "さいごに", "最後に"})
_OUTER_WORDS = frozenset({"まとめ", "結論", "序論", "序章", "終章", "要旨", "要約", "概要"})
_QUESTION_END = ("?", "?")
# Wikipedia copied from a browser: a heading ends with its edit link, or the link follows it
# on a line of its own (masked); its table of contents repeats the headings as numbered lines
# (1, 2.1 …), and reference items read "1. ^ 出典…".
_EDIT_LINK_RE = re.compile(r"[\[［](?:編集|ソースを編集|編集する)[\]］]$")
_TOC_ENTRY_RE = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3})\s+(\S.{0,60})$")
_REFERENCE_ITEM_RE = re.compile(r"^\d{1,3}\s*[.．]\s*\^")
_BRACKETS = ("「」", "『』", "\uff08\uff09", "()", "【】", "[]", "［］", "〈〉", "《》", "“”")


class _Line(NamedTuple):
    number: int  # 1-based
    start: int
    end: int  # end of content, before the line break
    text: str
    stripped: str


def _balanced(text: str) -> bool:
    return all(text.count(pair[0]) == text.count(pair[1]) for pair in _BRACKETS)


def heading_shaped(line: str, strict: bool = True) -> bool:
    """True for a short line that could be a heading: not a sentence, bullet, URL or fragment.

    ``strict=False`` accepts a line ending in a particle or a plain negative (…の日程は,
    …の雪辱へ, 「後れを取らない」), as headlines do; it is used where the layout itself
    says the line is a heading."""
    s = line.strip()
    if not 2 <= len(s) <= MAX_HEADING_CHARS:
        return False
    if s.startswith(_BULLET_START) or "http://" in s or "https://" in s:
        return False
    if _DATELINE_RE.match(s) or _CAPTION_RE.match(s):
        return False
    if s.endswith(_SENTENCE_FINAL) or not _balanced(s):
        return False
    if "。" in s:
        return False
    if normalize(s) in _SECTION_WORDS:
        return True
    ending = _SENTENCE_ENDING_RE if strict else _POLITE_ENDING_RE
    return not ending.search(normalize(s).rstrip(")]」』 "))


# A date with a clock time (2025年11月08日 18:22, 2012/03/01(木) 12:00:00): a post's or
# comment's stamp; headings do not carry the minute.
_COMMENT_STAMP_RE = re.compile(
    r"(?:\d{4}[年/.-]\d{1,2}[月/.-]\d{1,2}日?|\d{1,2}月\d{1,2}日)\S*\s*"
    r"(?:[(（][^)）]{1,3}[)）])?\s*\d{1,2}[:：]\d{2}")


def explicit_heading(line: str) -> bool:
    """True for a line with an explicit heading marker (Markdown, 【】, ■, 第N章, numbering,
    Wikipedia's edit link)."""
    s = line.strip()
    if not s or len(s) > 60:
        return False
    if _EDIT_LINK_RE.search(s) and len(s) > 4 and not _EDIT_LINK_RE.fullmatch(s):
        return True
    if _REFERENCE_ITEM_RE.match(s):
        return False
    if not _EXPLICIT_HEADING_RE.match(s):
        return False
    if _DATELINE_RE.match(s) or _CAPTION_RE.match(s):
        return False
    if _COMMENT_STAMP_RE.search(s):
        return False  # 1. 名無しさん　2025年11月08日 18:22: a comment's header
    if _FAQ_QUESTION_RE.match(s):
        return _balanced(s)  # a question may end with 。
    body = re.sub(r"^(?:#{1,6}|[■●◆◇□▼▶★◎]|第\S+?[章節部回]|\S{1,3}?[.．)）]|[①-⑳])\s*", "", s)
    if _UNIT_AFTER_NUMBER_RE.match(s):
        return False  # 88 kg, 3 cm: a measurement, not 1 見出し
    return not body.endswith(("。", "...", "…")) and _balanced(s)


def is_boilerplate(line: str) -> bool:
    s = line.strip()
    if not s:
        return False
    if _BOILERPLATE_RE.match(s) or _NEXT_PAGE_RE.match(s) or is_promotion(s):
        return True
    if len(s) <= MAX_FURNITURE_CHARS and (_MORE_LINK_RE.search(s) or _BYLINE_RE.search(s)):
        return True
    if s.startswith(("・", "•")) and _LINK_ITEM_RE.match(s):
        return True
    # The other furniture ends in a page number, opens a pager or ends in 目次: those
    # characters decide which regex can match at all.
    return bool((s[-1].isdigit() and _LEADER_RE.search(s))
                or (s[0] in _PAGER_START and _PAGER_RE.match(s))
                or (s.endswith("目次") and _CONTENTS_RE.match(s)))


def _is_question(line: str) -> bool:
    """A short question line, as under headings in Q&A layouts (long summaries do not count)."""
    s = line.strip()
    return s.endswith(_QUESTION_END) and len(s) <= MAX_QUESTION_CHARS


def _find_headings(lines: list[_Line], first_body: int, masked: set[int]) -> list[int]:
    """Indices (into ``lines``) of heading lines."""
    content = [i for i, ln in enumerate(lines) if ln.stripped and i not in masked]
    n_blank = sum(1 for ln in lines if not ln.stripped)
    blank_layout = n_blank >= 0.25 * max(1, len(content))
    one_line_paragraphs = blank_layout and _one_line_paragraphs(lines, content)
    headings = []
    above_paragraph = []
    for pos, i in enumerate(content):
        if i < first_body:
            continue
        line = lines[i]
        prev_i = content[pos - 1] if pos > 0 else None
        next_i = content[pos + 1] if pos + 1 < len(content) else None
        if prev_i is not None and _is_question(lines[prev_i].text) and prev_i == i - 1:
            continue  # the short answer under a question, not a heading
        if explicit_heading(line.text):
            # a run of numbered lines with nothing between them is a list, not headings;
            # a numbered question (Q1. …) is a heading over its A. answer only (an FAQ), not
            # in an interview
            if not _in_numbered_list(lines, content, pos) and (
                    not _FAQ_QUESTION_RE.match(line.stripped) or (
                        next_i is not None and _ANSWER_RE.match(lines[next_i].stripped))):
                headings.append(i)
            continue
        if next_i is None:
            continue
        if _bracket_headline(line.stripped, lines[next_i].stripped) and next_i == i + 1:
            headings.append(i)  # a digest's 【経済】headline over its paragraph
            continue
        after_blank = i == 0 or not lines[i - 1].stripped
        if after_blank and len(line.stripped) <= 25 and section_kind(line.stripped) != "body":
            headings.append(i)  # 参考文献, 脚注, お問い合わせ先 … over their block
            continue
        if not heading_shaped(line.text, strict=False):
            continue
        shaped = heading_shaped(line.text)
        next_text = lines[next_i].stripped
        long_next = len(next_text) >= max(2 * len(line.stripped), 40)
        if (next_i == i + 1 and ((shaped and _is_question(next_text)) or (
                after_blank and next_text.startswith(_INTERVIEW_QUESTION)))) or (
            (shaped or _particle_headline(line.stripped)) and blank_layout and after_blank
            and long_next
            and i + 1 < len(lines) and not lines[i + 1].stripped
            and not _caption_like(line.stripped)
        ):
            headings.append(i)
        elif (one_line_paragraphs and after_blank and long_next and next_i == i + 1
              and _ends_paragraph(lines, next_i) and prev_i is not None
              and lines[prev_i].stripped.endswith(_PARAGRAPH_END) and _headline(line.stripped)
              and not _caption_like(line.stripped)):
            # One-line paragraphs between blank lines (news sites): a heading sits on the
            # line above its first paragraph, after a paragraph that ended.
            above_paragraph.append(i)
    # Such headings come in series; a lone one is more likely a short paragraph.
    if len(above_paragraph) >= 2:
        headings = sorted(headings + above_paragraph)
    return headings


def _caption_like(line: str) -> bool:
    """A photo or figure caption (…＝東京・市谷, 図表III-2-4（…）) or a byline in brackets."""
    s = normalize(line)
    return ("=" in s or bool(_IMAGE_WORDS_RE.search(s) or _BYLINE_RE.search(s))
            or s.startswith(("○", "〇"))
            or (s.startswith("(") and s.endswith(")")))


_PARAGRAPH_END = ("。", "」", "』")


# Words of a caption under a picture (本体の側面（画像上）, 並べた図, 写真はこちら).
_IMAGE_WORDS_RE = re.compile(r"画像|写真|図表|^図\s*\d|図$|図[（(]|イメージ|こちら")


_HEADLINE_TAIL_RE = re.compile(r"(?:[にへかはもを]|ない|ず)$")


def _particle_headline(line: str) -> bool:
    """A short headline ending in a particle or a negative (アラスカLNGに名乗りを上げるか,
    半導体と造船も候補に), as news subheadings do."""
    s = normalize(line)
    return (len(s) <= 24 and _headline(s) and not _caption_like(s)
            and bool(_HEADLINE_TAIL_RE.search(s.rstrip("」』 "))) and not re.search(r"[♪!?☆★]", s))


def _headline(line: str) -> bool:
    """A headline-like line: no comma, not a question, exclamation, quote or list label."""
    s = normalize(line)
    return ("、" not in s and "," not in s and not s.endswith(("!", "?"))
            and not _IMAGE_WORDS_RE.search(s)
            and not s.startswith((*_INTERVIEW_QUESTION, "Q", "「", "(", "—", "―")))


# 【経済】米、日本車に追加関税を表明　政府は撤回求める (6/9.Mon): a label and a spaced headline.
_BRACKET_HEADLINE_RE = re.compile(r"^【[^】]{1,12}】\S.{4,50}$")


def _bracket_headline(line: str, next_line: str) -> bool:
    """A 【label】 headline with spaces directly over a paragraph of sentences: a news
    digest's item. Over a URL it is a link (【独女通信】title), over another label line or a
    bullet a list of particulars (【日時】…), and an ad's product line has no paragraph under
    it."""
    return (bool(_BRACKET_HEADLINE_RE.match(line)) and not _LABEL_RE.match(next_line)
            and heading_shaped(line, strict=False) and "http" not in next_line
            and not next_line.startswith(_BULLET_START)
            and len(next_line) >= 40 and next_line.endswith(_PARAGRAPH_END)
            and "。" in next_line[:-1])


def _ends_paragraph(lines: list[_Line], i: int) -> bool:
    return i + 1 >= len(lines) or not lines[i + 1].stripped


def _one_line_paragraphs(lines: list[_Line], content: list[int]) -> bool:
    """Whether most paragraphs are one line between blank lines (not hard-wrapped text)."""
    if len(content) < 6:
        return False
    followed = sum(1 for i in content if i + 1 < len(lines) and lines[i + 1].stripped)
    return followed <= 0.4 * len(content)


# An interviewer's question line: ――ロシアの侵攻は…
_INTERVIEW_QUESTION = ("――", "——", "−−", "--")
_LABEL_RE = re.compile(r"^【[^】]{1,8}】\s*\S")
_NUMBER_RE = re.compile(
    r"^[(（]?(?:\d{1,2}|[０-９]{1,2}|[①-⑳]|[一二三四五六七八九十]{1,3}(?=[、．.)）\s]))[)）.．、]?")


def _in_numbered_list(lines: list[_Line], content: list[int], pos: int) -> bool:
    """Whether the numbered line at ``content[pos]`` is one of a run of adjacent lines
    numbered alike ((1) (2) …) with no text between them."""
    scheme = _numbering(lines[content[pos]].stripped)
    if scheme is None:
        return False
    for other in (pos - 1, pos + 1):
        if 0 <= other < len(content) and abs(content[other] - content[pos]) == 1 and (
                _numbering(lines[content[other]].stripped) == scheme):
            return True
    return False


def _numbering(line: str) -> str | None:
    """The numbering scheme a line opens with (digits in brackets, digits and a dot, circled
    digits), or None."""
    if _LABEL_RE.match(line):
        return "【label】"  # 【日時】10月18日 / 【場所】公民館: a list of particulars
    match = _NUMBER_RE.match(line)
    if not match or not match.group():
        return None
    # 一 over 1 2 3 is a heading over its list, not one list: each kind of numeral is a scheme
    scheme = re.sub(r"[一二三四五六七八九十]+", "九", match.group())
    return re.sub(r"[0-9０-９]+", "9", re.sub(r"[①-⑳]", "⑨", scheme))


_URL_RE = re.compile(r"https?://[!-~]+")
_CITATION_RE = re.compile(
    r"^(?:さらに読む|続きを読む|詳しくは)?\s*[⇒→>＞]?\s*(?P<site>.*?)\s*"
    r"(?:出典|引用元|引用|ソース|参照元|参考|source)\s*(?:[/／]\s*画像元)?\s*[:：]\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_SITE_SEPARATORS_RE = re.compile(r"\s*(?:[:：|｜]|\s-\s|\s–\s)\s*")
_SOURCE_SUMMARY_START = ("✅", "☑", "✔")
_LINE_BULLET_START = ("💡", "•", "・", "▪", "◦", "‣", "- ", "* ", "+ ", "※")
_QUOTE_START = ("「", "『", "“", ">", "＞")
_CASUAL_START_RE = re.compile(
    r"^(?:いやー|いやぁ|なるほど|うーん|へぇ|ほんま|ほんと|やっぱり|正直)"
)
_CASUAL_ENDINGS = (
    "ね", "よね", "よ", "わ", "やん", "やな", "やわ", "やで", "なぁ", "なあ", "ねん", "かな",
    "だな", "よな", "っす", "じゃん", "しな", "せな", "あかん", "あかんねん", "ですね", "ますね",
    "ましたね", "でしたね", "ですよ", "ますよ", "ましょう", "しなきゃ", "たい", "思いました",
    "感じました",
)
_CASUAL_TAIL = "!！?？。…〜~ｗw笑"
# No ending holds a tail character, so an ending at a sentence's end stops exactly where the
# tail begins: a suffix test there. よ alone counts only where it is not せよ (an imperative).
_CASUAL_SUFFIXES = tuple(e for e in _CASUAL_ENDINGS if e != "よ")


def classify_lines(lines: list[str], first_is_heading: bool) -> list[str]:
    """Kind of each kept line of one section (see ``SENTENCE_KINDS``)."""
    kinds = []
    previous = ""
    for index, line in enumerate(lines):
        s = line.strip()
        if index == 0 and first_is_heading:
            kind = "heading"
        elif len(s) <= 40 and published_date(s):
            kind = "date"
        elif s.startswith(_SOURCE_SUMMARY_START):
            kind = "source_summary"
        elif _CITATION_RE.match(s) or (
                _URL_RE.search(s) and len(_URL_RE.sub("", s)) <= 60):
            kind = "citation"
        elif s.startswith(_LINE_BULLET_START) or (explicit_heading(s) and index > 0):
            kind = "bullet"
        elif _is_quote(s):
            kind = "quote"
        elif _is_question(s) and previous in ("heading", "date", ""):
            kind = "question"
        elif previous == "question" and len(s) <= MAX_QUESTION_CHARS:
            kind = "answer"
        elif is_comment(line):
            kind = "comment"
        else:
            kind = "body"
        kinds.append(kind)
        previous = kind
    return kinds


def _is_title_line(line: str) -> bool:
    """An article's first line is its title unless it reads as a sentence (ends in 。 etc.)."""
    return not line.endswith(("。", ".", "」", "…")) or heading_shaped(line)


def _is_quote(line: str) -> bool:
    if line.startswith((">", "＞")):
        return True
    return line.startswith(_QUOTE_START) and line.rstrip("。").endswith(("」", "』", "”"))


def is_comment(line: str) -> bool:
    """A casual remark by the page's author (いやー…, …やん!, …ですね。) rather than reporting."""
    if _CASUAL_START_RE.match(line.strip()):
        return True
    # The sentences of the line as given: the same as of its stripped form, and cached for
    # _line_sentences, which splits the same line again.
    return any(_casual_ending(line, a, b) for a, b in split_sentences(line))


def _casual_ending(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` ends in a casual ending, give or take the closing marks of
    ``_CASUAL_TAIL`` (the character before is looked at for せよ even outside the span)."""
    tail = end
    while tail > start and text[tail - 1] in _CASUAL_TAIL:
        tail -= 1
    if text.endswith(_CASUAL_SUFFIXES, start, tail):
        return True
    return tail > start and text[tail - 1] == "よ" and (tail < 2 or text[tail - 2] != "せ")


def _line_sentences(line: str, kind: str) -> list[tuple[str, int, int]]:
    """``(kind, start, end)`` of the sentences of one classified line (offsets into the line)."""
    if kind in ("heading", "question", "answer", "date", "source_summary", "bullet", "quote"):
        return [(kind, *trim_span(line, 0, len(line)))]
    if kind == "citation":
        url = _URL_RE.search(line)
        cut = url.end() if url else len(line)
        result = [("citation", *trim_span(line, 0, cut))]
        for a, b in split_sentences(line[cut:]):
            piece = line[cut + a : cut + b]
            result.append(("comment" if is_comment(piece) else "body", cut + a, cut + b))
        return result
    if kind == "comment":
        return [("comment", a, b) for a, b in split_sentences(line)]
    return [("body", a, b) for a, b in split_sentences(line)]


def parse_citation(line: str) -> dict[str, str] | None:
    """Outlet, URL and note of a source line such as
    ``さらに読む ⇒時事ドットコム:…出典/画像元: https://…&g=pol日本は…`` (the note is the
    sentence of commentary glued after the URL)."""
    s = line.strip()
    url_match = _URL_RE.search(s)
    if url_match is None:
        return None
    url = url_match.group(0).rstrip(".,;:)]}>'\"")
    rest = s[url_match.start() + len(url) :]
    first_sentence = split_sentences(rest[:2000])
    note = rest[first_sentence[0][0] : first_sentence[0][1]] if first_sentence else ""
    match = _CITATION_RE.match(s[: url_match.start()] + " ")
    site = match.group("site") if match else s[: url_match.start()]
    site = re.sub(r"^(?:さらに読む|続きを読む|詳しくは)\s*[⇒→>＞]?\s*", "", site).strip()
    outlet = _SITE_SEPARATORS_RE.split(site, maxsplit=1)[0].strip() if site else ""
    if not outlet:
        outlet = re.sub(r"^https?://(?:www\.)?", "", url).split("/")[0]
    return {"outlet": outlet, "url": url, "note": note}



# --- Section hierarchy -------------------------------------------------------------------
# A heading's numbering or marker scheme decides its level: schemes nest in the order they
# first appear (1 / (1) / ア in a white paper), a scheme seen before closes the levels under
# it, and schemes with an order of their own (第N部 > 章 > 節, Markdown's # count, 2.1 dotted
# depth, Wikipedia's table of contents) keep it even when a document starts mid-way.
_SCHEME_RES: tuple[tuple[str, re.Pattern], ...] = (
    ("markdown", re.compile(r"^(#{1,6})\s")),
    ("dai", re.compile(r"^第[0-9一二三四五六七八九十百]+([部編章節款項])")),
    ("dotted", re.compile(r"^\d{1,2}((?:\.\d{1,2})+)[.\s]")),
    ("roman", re.compile(r"^(?:[IVX]{1,5}|[Ⅰ-Ⅻ])(?:[.．\s]|$)")),
    ("(digit)", re.compile(r"^[(]\d{1,2}[)]")),
    ("digit)", re.compile(r"^\d{1,2}[)]")),
    ("digit.", re.compile(r"^\d{1,2}[.．]\s*(?!\d{1,2}(?:[.．\s]|$))\S")),
    ("digit", re.compile(r"^\d{1,2}\s+\D")),
    ("circled", re.compile(r"^[①-⑳]")),
    ("kanji", re.compile(r"^[一二三四五六七八九十]{1,3}[\s、.]")),
    ("(kanji)", re.compile(r"^[(][一二三四五六七八九十]{1,3}[)]")),
    ("column", re.compile(r"^コラム")),
    ("(kana)", re.compile(r"^[(][アイウエオカキクケコサシスセソ][)]")),
    ("kana", re.compile(r"^[アイウエオカキクケコサシスセソ]\s")),
    ("(alpha)", re.compile(r"^[(][a-zA-Z][)]")),
    ("alpha)", re.compile(r"^[a-zA-Z][).]\s")),
    ("faq", re.compile(r"^Q\s*\d")),
    # ■ ● ◆ and 【】 mark headings of one level: pages mix them freely
    ("mark", re.compile(r"^[■●◆◇□▼▶★◎◯〇【＼\\]")),
    ("angle", re.compile(r"^[<]")),
)
_DAI_RANKS = {"部": 0, "編": 0, "章": 1, "節": 2, "款": 3, "項": 4}
_REFERENCE_HEADINGS = frozenset({
    "脚注", "注", "注釈", "注記", "註", "注・出典", "脚注・出典", "出典", "出典・脚注", "参照",
    "参考", "参考文献", "参考資料", "参考リンク", "参考サイト", "引用文献", "引用", "文献",
    "関連項目", "関連文献", "関連書籍", "外部リンク", "関連記事", "関連リンク", "関連情報",
    "references", "notes", "see also", "external links", "sources", "bibliography",
})
# Every reference or contact heading holds one of these (checked before normalising).
_NO_THEME_WORD_RE = re.compile(
    r"注|註|出典|参|文献|引用|関連|リンク|問い?合わせ|問合せ|連絡先|窓口|"
    r"references|notes|see also|external|sources|bibliography", re.IGNORECASE)
_CONTACT_RE = re.compile(
    r"^(?:本件に関する|このページに関する|この記事に関する)?お?問い?合わ?せ先?"
    r"|^(?:連絡先|担当窓口|取材に関するお問い合わせ)")


class Scheme(NamedTuple):
    """How a heading is marked: ``family`` (e.g. ``digit.``, ``dai``, ``markdown``) and, for
    families with an order of their own, ``rank`` (smaller is higher; None otherwise)."""

    family: str
    rank: int | None


def heading_scheme(heading: str, toc_depth: int | None = None) -> Scheme:
    """The numbering or marker scheme of a heading line (see the hierarchy notes above)."""
    s = normalize(_EDIT_LINK_RE.sub("", heading)).strip()
    if toc_depth is not None:
        return Scheme("toc", toc_depth)
    for family, pattern in _SCHEME_RES:
        match = pattern.match(s)
        if match is None:
            continue
        if family == "markdown":
            return Scheme(family, len(match.group(1)))
        if family == "dai":
            return Scheme(family, _DAI_RANKS[match.group(1)])
        if family == "dotted":
            return Scheme(family, match.group(1).count(".") + 1)
        return Scheme(family, None)
    if _EDIT_LINK_RE.search(heading.strip()):
        return Scheme("wiki", None)
    if s in _SECTION_WORDS or s in _OUTER_WORDS:
        return Scheme("outer", None)  # はじめに, おわりに: beside the chapters, not in them
    return Scheme("plain", None)


def heading_levels(schemes: list[Scheme], closing: list[bool] | None = None) -> list[int]:
    """Level (1 = top) of each heading of a document from its scheme, in document order.

    ``closing`` marks headings that start at the top when their scheme is new (a notes or
    contact block after the last chapter is not part of it).
    """
    stack: list[Scheme] = []
    levels = []
    for n, scheme in enumerate(schemes):
        same = [i for i, open_ in enumerate(stack) if open_.family == scheme.family
                and open_.rank == scheme.rank]
        if same:
            del stack[same[0] + 1:]
        elif scheme.family == "outer" or (
                closing is not None and closing[n] and scheme.rank is None):
            stack = [] if scheme.family == "outer" else [scheme]
            levels.append(1)
            continue
        else:
            # A ranked scheme goes above the open levels of its family ranked below it
            # (第2章 after 第3節 closes the 節).
            lower = [i for i, open_ in enumerate(stack) if open_.family == scheme.family
                     and scheme.rank is not None and open_.rank is not None
                     and open_.rank > scheme.rank]
            if lower:
                del stack[lower[0]:]
            stack.append(scheme)
        levels.append(len(stack))
    return levels


def heading_core(heading: str) -> str:
    """A heading's words without its marker, numbering and edit link (``■脚注`` -> 脚注)."""
    s = normalize(_EDIT_LINK_RE.sub("", heading)).strip()
    s = re.sub(r"^(?:#{1,6}\s*|第\S+?[部編章節款項]\s*|\d{1,2}(?:\.\d{1,2})*[.)]?\s*"
               r"|[(]\S{1,2}[)]\s*|[①-⑳]\s*|[■●◆◇□▼▶★◎◯〇]\s*)", "", s)
    return s.strip("【】<>[]()「」 ").strip()


def section_kind(heading: str) -> str:
    """``references`` for a notes, sources, related-links or external-links heading,
    ``contact`` for a contact block, else ``body``."""
    if not _NO_THEME_WORD_RE.search(heading):
        return "body"  # most headings: no word of either kind at all
    core = heading_core(heading)
    if core.lower() in _REFERENCE_HEADINGS:
        return "references"
    if _CONTACT_RE.match(core):
        return "contact"
    return "body"


def _hierarchy(sections: list[dict], heading_lines: dict[str, str],
               toc_depths: dict[str, int]) -> None:
    """Fill ``level``, ``parent_id`` and ``heading_path`` of an article's sections in place
    (``heading_lines``: section_id -> its heading line as written, marker included), and mark
    the sections under a references heading as references too."""
    headed = [s for s in sections if s["section_id"] in heading_lines]
    schemes = [heading_scheme(heading_lines[s["section_id"]],
                              toc_depths.get(heading_core(s["heading"])) if toc_depths else None)
               for s in headed]
    # An unmarked heading with no text, right above another unmarked one, opens a block of
    # them (冒頭発言 > 日・フィリピン外相会談, 質疑応答 > …).
    for n in range(len(headed) - 1):
        following = headed[n + 1]
        if (schemes[n].family == "plain" and schemes[n + 1].family == "plain"
                and headed[n]["line_start"] == headed[n]["line_end"]
                and following["ordinal"] == headed[n]["ordinal"] + 1):
            schemes[n] = Scheme("plain-block", None)
    closing = [s["kind"] in NO_THEME_KINDS for s in headed]
    levels = dict(zip((id(s) for s in headed), heading_levels(schemes, closing), strict=True))
    open_: list[dict] = []  # the enclosing sections, one per level
    for section in sections:
        level = levels.get(id(section), 1)
        del open_[level - 1:]
        parent = open_[-1] if open_ else None
        if parent is not None and parent["kind"] in NO_THEME_KINDS:
            section["kind"] = parent["kind"]
        section["level"] = level
        section["parent_id"] = parent["section_id"] if parent else ""
        path = [p["heading"] for p in open_] + [section["heading"]]
        section["heading_path"] = " > ".join(h for h in path if h)
        open_.append(section)


class ArticleSegments(NamedTuple):
    sections: list[dict]
    boilerplate: list[dict]
    sentences: list[tuple]  # in SENTENCE_COLUMNS order (the most rows: tuples build faster)
    citations: list[dict]


def _lines(text: str) -> list[_Line]:
    """Every line of ``text`` (as ``str.splitlines`` cuts them; CRLF, CR and LF are not part of
    a line's text): its number, start and end offsets, text and stripped text."""
    lines = []
    start = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        content = line.rstrip("\r\n")
        lines.append(_Line(number, start, start + len(content), content, content.strip()))
        start += len(line)
    return lines


def segment_article(article_id: str, text: str, published: str = "",
                    furniture: Furniture = NO_FURNITURE) -> ArticleSegments:
    """Split one article's text into section, boilerplate, sentence and citation rows;
    ``furniture`` (the corpus's repeated lines and title labels) is blanked in
    ``analysis_text``."""
    lines = _lines(text)
    # The URL and date lines, or the front matter, are not text.
    first_body = body_start([ln.text for ln in lines])
    title = next((ln.stripped for ln in lines[first_body:] if ln.stripped), "")
    blanked = _furniture_spans(lines, first_body, furniture) if furniture else {}

    masked: set[int] = set(range(first_body))
    teaser_from: int | None = None
    seen_title = False
    in_related = False
    for i, ln in enumerate(lines):
        if i < first_body or not ln.stripped:
            continue
        s = ln.stripped
        if _RELATED_RE.match(s):
            in_related = True
        elif in_related and explicit_heading(s) and not s.startswith(("・", "-", "*")):
            in_related = False
        if in_related:
            masked.add(i)
            continue
        if s == title and not seen_title:
            seen_title = True
            continue
        if is_boilerplate(s) or s == title:
            masked.add(i)
            if _NEXT_PAGE_RE.match(s) and teaser_from is None:
                teaser_from = i + 1
    toc, toc_depths = _table_of_contents(lines, first_body)
    masked |= toc | _running_lines(lines, first_body)
    edit_links = {i for i, ln in enumerate(lines) if _EDIT_LINK_RE.fullmatch(ln.stripped)}
    masked |= edit_links
    # Nothing after the teaser's text is a heading of this page.
    limit = teaser_from if teaser_from is not None else len(lines)
    headings = _find_headings(lines[:limit], first_body + 1, masked)
    # A line followed by its own edit link is a heading.
    linked = {max((j for j in range(i) if lines[j].stripped and j not in masked), default=-1)
              for i in edit_links}
    headings = sorted(set(headings) | {i for i in linked if i > first_body})

    starts = [(first_body, "lead")] + [(h, "body") for h in headings]
    if teaser_from is not None and any(
        lines[j].stripped and j not in masked for j in range(teaser_from, len(lines))
    ):
        starts.append((teaser_from, "teaser"))
    ends = [s for s, _ in starts[1:]] + [len(lines)]

    sections: list[dict] = []
    sentences: list[tuple] = []
    citations: list[dict] = []
    heading_lines: dict[str, str] = {}
    for (begin, kind), stop in zip(starts, ends, strict=True):
        keep = [j for j in range(begin, stop) if lines[j].stripped and j not in masked]
        if not keep:
            continue
        first, last = lines[keep[0]], lines[keep[-1]]
        span_text = text[first.start : last.end]
        analysis = span_text
        for j in range(keep[0], keep[-1] + 1):
            # Blanked to spaces of the same length, so offsets hold.
            spans = [(lines[j].start, lines[j].end)] if j in masked else blanked.get(j, ())
            for lo, hi in spans:
                a, b = lo - first.start, hi - first.start
                analysis = analysis[:a] + " " * (b - a) + analysis[b:]
        own_date = next((d for j in keep if (d := published_date(lines[j].text))), "")
        ordinal = len(sections)
        section_id = f"{article_id}#{ordinal}"
        heading = normalize_heading(first.stripped) if kind == "body" else ""
        if kind == "body":
            heading_lines[section_id] = first.stripped
        sections.append({
            "section_id": section_id,
            "article_id": article_id,
            "ordinal": ordinal,
            "kind": section_kind(heading) if kind == "body" else kind,
            "heading": heading,
            "line_start": first.number,
            "line_end": last.number,
            "char_start": first.start,
            "char_end": last.end,
            "published": own_date or published,
            "text": span_text,
            "analysis_text": analysis,
        })
        kept_lines = [lines[j] for j in keep]
        first_is_heading = kind == "body" or (
            kind == "lead" and len(keep) > 1 and _is_title_line(first.stripped)
        )
        line_kinds = classify_lines([ln.text for ln in kept_lines], first_is_heading)
        sentence_id = 0
        for ln, line_kind in zip(kept_lines, line_kinds, strict=True):
            for sentence_kind, start, end in _line_sentences(ln.text, line_kind):
                sentences.append((section_id, sentence_id, sentence_kind,
                                  text[ln.start + start : ln.start + end], ln.start + start,
                                  ln.start + end))
                sentence_id += 1
            if line_kind == "citation":
                citation = parse_citation(ln.text)
                if citation is not None:
                    citations.append({"section_id": section_id, **citation})
    _hierarchy(sections, heading_lines, toc_depths)
    boilerplate = [
        {"article_id": article_id, "line": lines[j].number, "text": lines[j].stripped}
        for j in sorted(masked) if j >= first_body
    ]
    return ArticleSegments(sections, boilerplate, sentences, citations)


def _furniture_spans(lines: list[_Line], first_body: int,
                     furniture: Furniture) -> dict[int, list[tuple[int, int]]]:
    """Line index -> the character spans of corpus furniture on it: the whole line, or a
    title label."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for i in range(first_body, len(lines)):
        if lines[i].stripped and line_key(lines[i].stripped) in furniture.lines:
            spans[i] = [(lines[i].start, lines[i].end)]
    if first_body < len(lines) and first_body not in spans and furniture.labels:
        title = lines[first_body]
        for label in title_labels(title.text):
            if label.key in furniture.labels:
                spans.setdefault(first_body, []).append(
                    (title.start + label.start, title.start + label.end))
    return spans


MIN_RUNNING_CHARS = 12


def _running_lines(lines: list[_Line], first_body: int) -> set[int]:
    """Line indices of a running header or footer: a line of some length (not a marked
    heading) that comes back word for word, as a page header does in text from a PDF."""
    seen: dict[str, list[int]] = {}
    for i, ln in enumerate(lines[first_body + 1:], start=first_body + 1):
        if len(ln.stripped) >= MIN_RUNNING_CHARS:
            seen.setdefault(ln.stripped, []).append(i)
    return {i for text, where in seen.items() if len(where) >= 2
            and not explicit_heading(text) and not text.endswith(_PARAGRAPH_END)
            for i in where}


def _table_of_contents(lines: list[_Line], first_body: int) -> tuple[set[int], dict[str, int]]:
    """Line indices of a table of contents: a 目次 line, and numbered lines (1, 2.1 …) whose
    titles come back later as lines of their own (the headings they list); and the depth of
    each listed title (1 for ``2``, 2 for ``2.1``), which is its heading's level."""
    texts = [ln.stripped for ln in lines]
    later = {}
    for i, text in enumerate(texts):
        later.setdefault(_EDIT_LINK_RE.sub("", text).strip(), []).append(i)
    toc: set[int] = set()
    depths: dict[str, int] = {}
    for i, text in enumerate(texts):
        if i < first_body:
            continue
        match = _TOC_ENTRY_RE.match(text)
        title = match.group(1).strip() if match else ""
        if match and any(j > i for j in later.get(title, [])):
            toc.add(i)
            depths.setdefault(heading_core(title), text.split()[0].count(".") + 1)
    if len(toc) < 3:
        return set(), {}
    first = min(toc)
    heading = max((j for j in range(first) if texts[j]), default=None)
    if heading is not None and texts[heading] in ("目次", "目次[非表示]", "内容"):
        toc.add(heading)
    return toc, depths


class Segmentation(NamedTuple):
    """The tables of the segment stage."""

    sections: pd.DataFrame
    boilerplate: pd.DataFrame
    sentences: pd.DataFrame
    citations: pd.DataFrame


def segment(articles: pd.DataFrame, furniture: Furniture = NO_FURNITURE) -> Segmentation:
    """Split every article into sections, sentences and citations.

    Parameters
    ----------
    articles : DataFrame
        The ``articles`` table from :func:`pipeline.ingest.ingest` (needs article_id, text,
        published).
    furniture : Furniture
        The corpus's repeated lines and title labels (:func:`pipeline.furniture.furniture`),
        blanked in ``analysis_text``; none by default.

    Returns
    -------
    Segmentation
        ``sections`` of shape (n_sections, 12), ``boilerplate`` (n_lines, 3), ``sentences``
        (n_sentences, 6) and ``citations`` (n_citations, 4).
    """
    section_rows: list[dict] = []
    boilerplate_rows: list[dict] = []
    sentence_rows: list[tuple] = []
    citation_rows: list[dict] = []
    for article_id, text, published in zip(articles["article_id"], articles["text"],
                                           articles["published"], strict=True):
        parts = segment_article(article_id, text, published, furniture)
        section_rows.extend(parts.sections)
        boilerplate_rows.extend(parts.boilerplate)
        sentence_rows.extend(parts.sentences)
        citation_rows.extend(parts.citations)
    sections = pd.DataFrame(section_rows, columns=SECTION_COLUMNS)
    sections = sections.astype({
        "ordinal": "int64", "level": "int64", "line_start": "int64", "line_end": "int64",
        "char_start": "int64", "char_end": "int64",
    })
    sentences = pd.DataFrame(sentence_rows, columns=SENTENCE_COLUMNS).astype(
        {"sentence_id": "int64", "char_start": "int64", "char_end": "int64"}
    )
    return Segmentation(
        sections,
        pd.DataFrame(boilerplate_rows, columns=BOILERPLATE_COLUMNS),
        sentences,
        pd.DataFrame(citation_rows, columns=CITATION_COLUMNS),
    )
