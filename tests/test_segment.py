from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import ingest
from pipeline.segment import (
    SENTENCE_COLUMNS,
    explicit_heading,
    heading_shaped,
    is_comment,
    segment,
    segment_article,
    split_sentences,
)
from pipeline.tables import SENTENCE_KINDS

# Heading lines (1-based) of the seeds, read by hand; the rules must find them without knowing.
EXPECTED_HEADINGS = {
    "000": [7, 27],
    "001": [7, 24],
    "002": [7, 28],
    "003": [3, 17, 31],
    "004": [8, 20, 30, 45, 49, 59, 65],
}


@pytest.fixture(scope="module")
def seed_tables(seeds_dir):
    articles, _ = ingest([str(seeds_dir)])
    seg = segment(articles)
    return articles, seg.sections, seg.boilerplate


def test_seed_sections_start_at_the_real_headings(seed_tables):
    _, sections, _ = seed_tables
    for prefix, lines in EXPECTED_HEADINGS.items():
        article = sections[sections["article_id"].str.startswith(prefix)]
        assert article[article["kind"] == "body"]["line_start"].tolist() == lines, prefix
        assert article.iloc[0]["kind"] == "lead"
        assert article.iloc[0]["line_start"] == 1


def test_section_text_is_the_original_slice(seed_tables):
    articles, sections, _ = seed_tables
    texts = articles.set_index("article_id")["text"]
    for row in sections.itertuples():
        assert texts[row.article_id][row.char_start : row.char_end] == row.text
        assert len(row.analysis_text) == len(row.text)


def test_section_ids_and_ordinals(seed_tables):
    _, sections, _ = seed_tables
    for row in sections.itertuples():
        assert row.section_id == f"{row.article_id}#{row.ordinal}"
    assert sections.groupby("article_id")["ordinal"].apply(
        lambda s: s.tolist() == list(range(len(s)))).all()


def test_next_page_teaser_is_its_own_section_and_link_is_boilerplate(seed_tables):
    _, sections, boilerplate = seed_tables
    article = sections[sections["article_id"].str.startswith("000")]
    teaser = article[article["kind"] == "teaser"]
    assert teaser["line_start"].tolist() == [47]
    assert teaser.iloc[0]["text"].startswith("石破首相とトランプ大統領が電話会談")
    body = article[article["kind"] == "body"]
    assert body["line_end"].max() == 45
    lines = boilerplate[boilerplate["article_id"].str.startswith("000")]["line"].tolist()
    assert lines == [46]


def test_boilerplate_lines_are_listed_and_masked(seed_tables):
    _, sections, boilerplate = seed_tables
    rows = boilerplate[boilerplate["article_id"].str.startswith("004")]
    assert rows["text"].tolist() == [
        "YouTube速報",
        "【速報】日米首脳会談2025:深化する同盟と未来を拓く戦略的パートナーシップ",
        "コメント",
        "タイトルとURLをコピーしました",
    ]
    lead = sections[sections["section_id"].str.startswith("004") & (sections["ordinal"] == 0)]
    analysis = lead.iloc[0]["analysis_text"]
    assert "YouTube速報" in lead.iloc[0]["text"]
    assert "YouTube速報" not in analysis
    assert analysis.count("【速報】") == 1  # the title itself stays, its repeat is masked


def test_sections_take_their_own_published_date(seed_tables):
    _, sections, _ = seed_tables
    dates = sections.set_index("section_id")["published"]
    article = [s for s in dates.index if s.startswith("000")]
    assert dates[article[1]] == "2025-02-08"
    assert dates[article[2]] == "2025-06-13"


@pytest.mark.parametrize(
    "line",
    [
        "会談の焦点の一つだった防衛費の増額に関しては「日本とし",  # truncated quote
        "トランプ大統領と高市首相が迎賓館で握手。9:53頃 首脳会談の …",  # cut off
        "それでは見ていきましょう",  # a sentence without its 。
        "今後の動向に注目です",
        "日米首脳会談、最大の成果は?",  # a question
        "✅ 石破首相とトランプ大統領は会談を行った",  # a bullet
        "さらに読む ⇒ https://example.com/a",
    ],
)
def test_sentences_and_fragments_are_not_heading_shaped(line):
    assert not heading_shaped(line)


@pytest.mark.parametrize(
    "line",
    ["安倍元首相の遺産と高市総理の役割", "横須賀が持つ戦略的意味", "結論:未来を切り開く日米同盟",
     "日米地位協定改定~新たな視点と課題~"],
)
def test_noun_phrase_lines_are_heading_shaped(line):
    assert heading_shaped(line)


@pytest.mark.parametrize(
    "line",
    ["## 関税交渉の行方", "【解説】日米地位協定とは", "■ 防衛費の増額", "第3章 在日米軍の再編",
     "1. 揺るぎない絆", "(2) 対米投資の中身", "③ 今後の課題"],
)
def test_explicit_heading_markers(line):
    assert explicit_heading(line)


def test_markdown_headings_split_sections():
    text = "# タイトル\n\nリードの文章です。\n\n## 関税\n\n関税の話。\n\n## 基地\n\n基地の話。\n"
    sections = segment_article("md", text).sections
    assert [s["heading"] for s in sections] == ["", "関税", "基地"]
    assert [s["line_start"] for s in sections] == [1, 5, 9]


def test_plain_news_passage_is_one_lead_section():
    text = "政府は28日、日米地位協定の運用改善について米側と協議した。関係者によると、合意は近い。"
    sections, boilerplate, _, _ = segment_article("p1", text)
    assert len(sections) == 1
    assert sections[0]["kind"] == "lead"
    assert sections[0]["text"] == text
    assert boilerplate == []


def test_short_sentence_between_blank_lines_is_not_a_heading():
    body = "今回の会談では、両首脳が抑止力の強化で一致したことが大きな意味を持つと言えるでしょう。"
    text = f"タイトル\n\n{body}\n\nそれでは見ていきましょう\n\n{body}\n"
    sections = segment_article("s", text).sections
    assert len(sections) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(
    list("日米関税。、!?\n\r 「」#【】■1.①abc…")), max_size=30), max_size=12))
def test_offsets_always_give_back_the_section_text(pieces):
    text = "".join(pieces)
    sections = segment_article("h", text).sections
    for s in sections:
        assert text[s["char_start"] : s["char_end"]] == s["text"]
        assert s["text"].strip()
    starts = [s["char_start"] for s in sections]
    assert starts == sorted(starts)


def test_segment_schema(seed_tables):
    _, sections, boilerplate = seed_tables
    assert list(sections.columns) == [
        "section_id", "article_id", "ordinal", "kind", "heading", "level", "parent_id",
        "heading_path", "line_start", "line_end", "char_start", "char_end", "published", "text",
        "analysis_text",
    ]
    assert list(boilerplate.columns) == ["article_id", "line", "text"]
    assert isinstance(sections, pd.DataFrame)


@pytest.mark.parametrize("encoding", ["cp932", "euc_jp", "utf-16", "utf-8-sig"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_encodings_and_line_ends_give_the_same_sections(tmp_path, seeds_dir, encoding, newline):
    original = (seeds_dir / "002_e2682e32605dce2d.txt").read_text(encoding="utf-8")
    # Legacy Japanese encodings lack emoji; compare against the same text without them.
    text = original.encode(encoding, errors="ignore").decode(encoding).replace("\n", newline)
    (tmp_path / "a.txt").write_bytes(text.encode(encoding))
    articles, skipped = ingest([str(tmp_path)])
    assert skipped == []
    assert articles["text"].iloc[0] == text
    sections = segment(articles).sections
    assert sections[sections["kind"] == "body"]["line_start"].tolist() == [7, 28]
    for row in sections.itertuples():
        assert text[row.char_start : row.char_end] == row.text


def test_seed_citations_split_outlet_url_and_glued_note(seeds_dir):
    articles, _ = ingest([str(seeds_dir)])
    citations = segment(articles).citations
    assert list(citations.columns) == ["section_id", "outlet", "url", "note"]
    assert len(citations) == 9
    first = citations.iloc[0]
    assert first["section_id"] == "000_fa22010949faa399#1"
    assert first["outlet"] == "時事ドットコム"
    assert first["url"] == "https://www.jiji.com/jc/article?k=2025020800133&g=pol"
    assert first["note"] == "日本は対米投資を拡大し、LNG輸入も増やすことで経済協力関係を強化。"
    reuters = citations.iloc[1]
    assert reuters["outlet"] == "ロイター"
    assert reuters["url"].endswith("-2025-06-13/")
    assert reuters["note"].startswith("電話会談で")
    assert citations["url"].str.match(r"^https://[!-~]+$").all()


def test_seed_sentences_have_kinds_and_offsets(seeds_dir):
    articles, _ = ingest([str(seeds_dir)])
    seg = segment(articles)
    sentences = seg.sentences
    texts = articles.set_index("article_id")["text"]
    article_of = seg.sections.set_index("section_id")["article_id"]
    for row in sentences.itertuples():
        assert texts[article_of[row.section_id]][row.char_start : row.char_end] == row.text
    by_id = sentences.set_index(["section_id", "sentence_id"])["kind"]
    section = "000_fa22010949faa399#1"
    assert [by_id[(section, i)] for i in range(6)] == [
        "heading", "question", "answer", "body", "body", "date"]
    kinds = sentences.groupby("kind")["text"].apply(list)
    assert "いやー、G7サミット前に電話会談、しかも誕生日祝うって、なんかええ感じやん!" in (
        kinds["comment"])
    assert all(t.startswith("✅") for t in kinds["source_summary"])
    assert all(t.startswith(("💡", "•")) for t in kinds["bullet"])
    assert all("出典/画像元" in t for t in kinds["citation"])
    assert set(sentences["kind"]) <= set(SENTENCE_KINDS)


def test_quoted_sentences_are_not_split_inside_brackets():
    assert split_sentences("首相は「関税は撤廃すべきだ。交渉を続ける」と述べた。次の文。") == [
        (0, 26), (26, 30)]


def test_related_links_block_is_boilerplate():
    text = ("新機種を発表\n\n新機種の性能は高い。価格も手頃で人気を集めそうだ。\n\n■関連記事\n"
            "・別の記事のタイトル\n・さらに別の記事\n")
    parts = segment_article("r", text)
    assert [b["text"] for b in parts.boilerplate] == [
        "■関連記事", "・別の記事のタイトル", "・さらに別の記事"]
    assert "別の記事" not in parts.sections[-1]["analysis_text"]


def test_news_dateline_is_not_a_heading():
    text = ("米、対日関税を引き下げ\n\n【ワシントン共同】\n\n"
            "トランプ米大統領は22日、日本からの輸入品に課す関税を15%に引き下げると発表した。\n")
    assert len(segment_article("d", text).sections) == 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_unicode_segments_with_exact_offsets(text):
    parts = segment_article("u", text)
    for s in parts.sections:
        assert text[s["char_start"] : s["char_end"]] == s["text"]
        assert len(s["analysis_text"]) == len(s["text"])
    for row in parts.sentences:
        sentence = dict(zip(SENTENCE_COLUMNS, row, strict=True))
        assert text[sentence["char_start"] : sentence["char_end"]] == sentence["text"]
        assert sentence["kind"] in SENTENCE_KINDS
    lines = text.splitlines()
    for b in parts.boilerplate:
        assert lines[b["line"] - 1].strip() == b["text"]


@pytest.mark.parametrize("line", [
    "いやー、これは驚きました。", "これは大きい話ですね。", "関税の話はほんまにあかんやん!",
    "日本は困るよね…", "交渉はまだ続くかな?", "報道によると合意した。正直びっくりですよ!!",
    "これでいいのよ", "「交渉は続く」と言うけど、どうなるんだろうね〜w",
])
def test_casual_remarks_are_comments(line):
    assert is_comment(line)


@pytest.mark.parametrize("line", [
    "政府は22日、関税を15%に引き下げると発表した。", "直ちに撤回せよ!", "「早く来いよ」と述べた。",
    "米軍は基地を移転する", "!!。",
])
def test_reporting_is_not_a_comment(line):
    assert not is_comment(line)


def _casual_ending_by_regex(text: str, start: int, end: int) -> bool:
    """The definition: an ending (よ not after せ), then closing marks, at the span's end."""
    import re

    from pipeline.segment import _CASUAL_ENDINGS, _CASUAL_TAIL

    pattern = re.compile("(?:" + "|".join("(?<!せ)よ" if e == "よ" else e for e in _CASUAL_ENDINGS)
                         + f")[{_CASUAL_TAIL}]*$")
    return pattern.search(text, start, end) is not None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ねよわやんなであすうゃいたせしま思感じ!！?？。…〜~ｗw笑 「」x",
               max_size=12), st.integers(0, 12), st.integers(0, 12))
def test_casual_ending_suffix_test_equals_the_regex(text, a, b):
    from pipeline.segment import _CASUAL_ENDINGS, _CASUAL_TAIL, _casual_ending

    assert not set("".join(_CASUAL_ENDINGS)) & set(_CASUAL_TAIL)  # what the suffix test needs
    start, end = min(a, b, len(text)), min(max(a, b), len(text))
    assert _casual_ending(text, start, end) == _casual_ending_by_regex(text, start, end)


def _sentence_spans_by_definition(text: str) -> list[tuple[int, int]]:
    """Cut after every 。!? run outside brackets; each piece without white space at its ends."""
    from pipeline.textutil import _CLOSERS, _OPENERS

    cuts, depth, index = [], 0, 0
    while index < len(text):
        ch = text[index]
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif ch in "。!?！？":
            while index + 1 < len(text) and text[index + 1] in "。!?！？":
                index += 1
            if depth == 0:
                cuts.append(index + 1)
        index += 1
    spans = []
    for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True):
        piece = text[a:b]
        start = a + len(piece) - len(piece.lstrip())
        end = start + len(piece.strip())
        if start < end:
            spans.append((start, end))
    return spans


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="。!?！？「」『』()（）【】x語 \t\u3000\xa0\u2028\x1c", max_size=30)
       | st.text(alphabet="。!?！？x語 \t\u3000\xa0\u2028\x1c", max_size=30))
def test_sentence_spans_cut_outside_brackets_and_trim_white_space(text):
    assert split_sentences(text) == _sentence_spans_by_definition(text)


def test_regex_white_space_is_str_white_space():
    # The sentence regexes trim with \s, the definition with str.strip.
    import re

    chars = "".join(map(chr, range(0x110000))).replace("\ud800", "")
    assert re.findall(r"\s", chars) == [c for c in chars if c.isspace()]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="「」『』()（）【】[]“”。!?！？あ x", max_size=20))
def test_sentence_events_are_single_brackets_and_runs_of_ends(line):
    import re

    from pipeline.textutil import _SENTENCE_EVENT_RE

    definition = re.compile(r"[「『（(【［\[〈《“」』）)】］\]〉》”]|[。!?！？]+")
    assert [(m.start(), m.end()) for m in _SENTENCE_EVENT_RE.finditer(line)] == [
        (m.start(), m.end()) for m in definition.finditer(line)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="あ a\r\n\u2028\x0b\t", max_size=20))
def test_lines_are_splitlines_pieces_with_their_offsets(text):
    from pipeline.segment import _lines

    lines = _lines(text)
    pieces = text.splitlines(keepends=True)
    assert [ln.number for ln in lines] == list(range(1, len(pieces) + 1))
    starts = [sum(len(p) for p in pieces[:i]) for i in range(len(pieces))]
    assert [ln.start for ln in lines] == starts
    for ln, piece in zip(lines, pieces, strict=True):
        assert ln.text == text[ln.start : ln.end] == piece.rstrip("\r\n")
        assert ln.stripped == ln.text.strip()


WIKIPEDIA_PAGE = """日米地位協定
出典: フリー百科事典『ウィキペディア（Wikipedia）』
日米地位協定は、在日米軍の地位を定める協定である。

目次
1 概要
2 主な内容
2.1 刑事裁判権
3 脚注

概要[編集]
協定は1960年に署名された。施設・区域の提供を定めている。

主な内容
[編集]
協定は28条からなる。

刑事裁判権[編集]
公務中の事件は米側が第一次裁判権を持つ。

脚注[編集]
1. ^ 外務省「日米地位協定Q&A」
2. ^ 防衛省「在日米軍」
"""


def test_wikipedia_headings_with_edit_links_and_no_table_of_contents():
    parts = segment(pd.DataFrame({"article_id": ["w"], "text": [WIKIPEDIA_PAGE],
                                  "published": [""]}))
    sections = parts.sections
    assert sections["heading"].tolist() == ["", "概要[編集]", "主な内容", "刑事裁判権[編集]",
                                            "脚注[編集]"]
    # the table of contents and the lone edit link are left out of the analysis
    left_out = set(parts.boilerplate["text"])
    assert {"目次", "1 概要", "2.1 刑事裁判権", "3 脚注", "[編集]"} <= left_out
    assert "目次" not in "".join(sections["analysis_text"])
    # reference items stay in the notes section
    assert sections.iloc[-1]["text"].count("^") == 2


def _headings(text: str) -> list[str]:
    sections = segment(pd.DataFrame({"article_id": ["a"], "text": [text],
                                     "published": [""]})).sections
    return sections["heading"].tolist()[1:]


def test_white_paper_numbering_and_empty_parents():
    text = ("第III部　防衛の三つの柱\n\n第2章　日米同盟\n第4節　在日米軍\n"
            "本文の導入である。ここには長い説明が続いている。\n\n"
            "1　在日米軍の駐留\n(1)　駐留の意義\n抑止力として機能している。長い本文が続く。\n\n"
            "ア　経緯\n1978年度から負担してきた。長い本文が続く。\n\n"
            "(ア)内政\n内政の本文である。長い本文が続く。\n")
    assert _headings(text) == ["第2章　日米同盟", "第4節　在日米軍", "1　在日米軍の駐留",
                               "(1)　駐留の意義", "ア　経緯", "(ア)内政"]


def test_numbered_list_items_and_pagers_are_not_headings():
    text = ("新工場を建設する。\n\n■ 新工場の概要\n(1) 工場立地：米国ジョージア州\n"
            "(2) 敷地面積：約46.5万平方メートル\n(3) 設備投資額：約1億5,000万米ドル\n\n"
            "本文が続く。ここには長い説明がある。\n\n1 2 3\n")
    assert _headings(text) == ["■ 新工場の概要"]


def test_angle_bracket_subheadings_captions_and_datelines():
    text = ("尖閣の接続水域に中国公船\n\n写真：尖閣諸島周辺を航行する中国海警局の船\n\n"
            "【石垣】2024年5月1日発表\n\n＜日本漁船を執拗に追尾＞\n"
            "海警局の船は日本の漁船に接近した。長い本文が続く。\n\n＜関連リンク＞\n・別の記事\n")
    assert _headings(text) == ["＜日本漁船を執拗に追尾＞"]


def test_interview_subheading_above_a_question():
    text = ("防衛相インタビュー\n前文である。長い前文が続く。\n\n北朝鮮の新型ICBM\n"
            "――北朝鮮はミサイルを発射した\n「深刻な脅威だ」\n")
    assert _headings(text) == ["北朝鮮の新型ICBM"]


# --- Section hierarchy (level, parent_id, heading_path) and new layout families -------------


def _tree(text: str) -> list[tuple[str, int, str]]:
    """(heading, level, parent heading) of each body section."""
    sections = segment(pd.DataFrame({"article_id": ["t"], "text": [text],
                                     "published": [""]})).sections
    heading_of = dict(zip(sections["section_id"], sections["heading"], strict=True))
    body = sections[sections["ordinal"] > 0]
    return [(h, int(level), heading_of.get(parent, "")) for h, level, parent in
            zip(body["heading"], body["level"], body["parent_id"], strict=True)]


def test_white_paper_levels_nest_by_numbering_and_rank():
    text = ("第III部　防衛の三つの柱\n\n第2章　日米同盟\n第4節　在日米軍\n"
            "本文の導入である。ここには長い説明が続いている。\n\n"
            "1　在日米軍の駐留\n(1)　駐留の意義\n抑止力として機能している。長い本文が続く。\n\n"
            "ア　経緯\n1978年度から負担してきた。長い本文が続く。\n\n"
            "(2)　負担\n負担の本文である。長い本文が続く。\n\n"
            "第3章　同盟の強化\n本文である。長い本文が続く。長い本文が続く。\n")
    assert _tree(text) == [
        ("第2章　日米同盟", 1, ""), ("第4節　在日米軍", 2, "第2章　日米同盟"),
        ("1　在日米軍の駐留", 3, "第4節　在日米軍"), ("(1)　駐留の意義", 4, "1　在日米軍の駐留"),
        ("ア　経緯", 5, "(1)　駐留の意義"), ("(2)　負担", 4, "1　在日米軍の駐留"),
        # a higher rank closes the 節 and everything under it
        ("第3章　同盟の強化", 1, ""),
    ]
    sections = segment_article("p", text).sections
    paths = {s["heading"]: s["heading_path"] for s in sections}
    assert paths["ア　経緯"] == ("第2章　日米同盟 > 第4節　在日米軍 > 1　在日米軍の駐留 > "
                              "(1)　駐留の意義 > ア　経緯")
    # a parent heading with no text of its own is still its own section
    assert paths["第4節　在日米軍"] == "第2章　日米同盟 > 第4節　在日米軍"


def test_markdown_levels_follow_the_hashes_and_front_matter_is_not_text():
    text = ("---\ntitle: \"宮古島の話\"\ndate: 2025-07-21\ntags: [旅, 沖縄]\n---\n\n"
            "# 宮古島の話\n\nはじめまして。長い前置きが続きます。前置きはまだ続きます。\n\n"
            "## なぜ宮古島か\n\n理由を書きます。長い本文が続く。\n\n### 電波のこと\n\n"
            "電波の本文です。長い本文が続く。\n\n## 参考リンク\n\n- https://example.com/\n")
    assert _tree(text) == [("なぜ宮古島か", 1, ""), ("電波のこと", 2, "なぜ宮古島か"),
                           ("参考リンク", 1, "")]
    parts = segment_article("m", text)
    assert [s["kind"] for s in parts.sections] == ["lead", "body", "body", "references"]
    # the front matter is metadata (title, date), like Livedoor's header: not a section's text
    assert parts.sections[0]["line_start"] == 7
    assert "tags" not in "".join(s["text"] for s in parts.sections)


def test_wikipedia_levels_come_from_its_table_of_contents():
    text = ("山田太郎\n出典: フリー百科事典『ウィキペディア（Wikipedia）』\n"
            "山田太郎は日本の野球選手である。長い前置きが続く。\n\n目次\n1 経歴\n1.1 生い立ち\n"
            "1.2 プロ入り\n2 脚注\n2.1 出典\n3 関連項目\n\n経歴[編集]\n生い立ち[編集]\n"
            "広島県で生まれた。長い本文が続く。\n\nプロ入り[編集]\n2001年に入団した。長い本文。\n\n"
            "脚注[編集]\n出典[編集]\n^ a b 「記録」\n\n関連項目[編集]\n・広島東洋カープ\n")
    assert _tree(text) == [
        ("経歴[編集]", 1, ""), ("生い立ち[編集]", 2, "経歴[編集]"),
        ("プロ入り[編集]", 2, "経歴[編集]"), ("脚注[編集]", 1, ""),
        ("出典[編集]", 2, "脚注[編集]"), ("関連項目[編集]", 1, ""),
    ]
    kinds = [s["kind"] for s in segment_article("w", text).sections]
    assert kinds == ["lead", "body", "body", "body", "references", "references", "references"]


def test_report_sections_notes_and_contacts():
    text = ("研究レポート\n日米半導体協力\n佐々木 健一（研究員）\n\nはじめに\n\n"
            "導入の本文である。ここには長い説明が続いている。長い本文である。まだ続いている。\n\n"
            "1．規制の展開\n\n（1）2022年の規制\n\n規制の本文である。長い説明が続いている(1)。\n\n"
            "おわりに\n\n結びの本文である。ここには長い説明が続いている。長い本文である。まだまだ続いている。\n\n"
            "注\n(1) 米商務省の発表による。\n(2) 同上。\n\nお問い合わせ先\n研究所 広報課\n"
            "電話：03-0000-0000\n")
    assert _tree(text) == [
        ("はじめに", 1, ""), ("1．規制の展開", 1, ""), ("（1）2022年の規制", 2, "1．規制の展開"),
        ("おわりに", 1, ""), ("注", 1, ""), ("お問い合わせ先", 1, ""),
    ]
    kinds = [s["kind"] for s in segment_article("r", text).sections]
    assert kinds[-2:] == ["references", "contact"]


def test_faq_questions_are_headings_over_their_answers_not_interview_questions():
    faq = ("自転車保険Q&A\n\n■ 制度について\n\nQ1. なぜ義務化されたのですか。\n"
           "A. 高額な賠償を命じる判決が相次いでいるためです。長い説明が続きます。\n\n"
           "Q2. 対象は誰ですか。\nA. 県内で自転車を利用するすべての人です。長い説明です。\n")
    assert _tree(faq) == [("■ 制度について", 1, ""),
                          ("Q1. なぜ義務化されたのですか。", 2, "■ 制度について"),
                          ("Q2. 対象は誰ですか。", 2, "■ 制度について")]
    interview = ("転職の達人に聞く\n\n前文である。長い前文が続く。長い前文が続く。\n\n"
                 "Q2.就職活動中の大学生にお勧めしたい働き方は？\n"
                 "まずは色々な会社を見ることです。長い答えが続きます。\n")
    assert _tree(interview) == []


def test_contents_lines_page_numbers_running_headers_and_pagers_are_not_headings():
    header = "株式会社さんよう　2025年3月期　決算短信"
    text = ("2025年3月期　決算短信\n\n○添付資料の目次\n\n1．経営成績等の概況 ………………… 2\n"
            "（1）当期の経営成績の概況 ………… 2\n\n1．経営成績等の概況\n（1）当期の経営成績の概況\n"
            "当期の売上高は前期比で増えた。長い説明が続いている。\n\n- 2 -\n"
            f"{header}\n\n説明が続く。長い説明が続いている。\n\n- 3 -\n{header}\n\n"
            "2．今後の見通し\n来期も増収を見込む。長い説明が続いている。\n\n1 2 3 次ページ\n")
    assert [h for h, _level, _parent in _tree(text)] == [
        "1．経営成績等の概況", "（1）当期の経営成績の概況", "2．今後の見通し"]
    left_out = {b["text"] for b in segment_article("k", text).boilerplate}
    assert {"- 2 -", header, "1 2 3 次ページ", "○添付資料の目次"} <= left_out


def test_news_subheadings_above_one_line_paragraphs():
    paragraph = ("日本は6日の試合から先発を9人入れ替えて臨み、"
                 "前半から終始主導権を握って相手を圧倒した。")
    text = (f"日本がシリアに5-0\n2024年6月11日 22時05分\n\n写真：ゴールを決める選手\n\n"
            f"{paragraph}\n\n前半だけで3得点\n{paragraph}\n\n{paragraph}\n\n"
            f"アジアカップの雪辱へ\n{paragraph}\n\n{paragraph}\n")
    assert [h for h, _level, _parent in _tree(text)] == ["前半だけで3得点", "アジアカップの雪辱へ"]
    # a lone such line is a short paragraph, not a series of subheadings
    lone = (f"見出し\n\n{paragraph}\n\n{paragraph}\n\nそれでは本題\n{paragraph}\n\n{paragraph}\n")
    assert _tree(lone) == []


def test_particulars_captions_and_bylines_are_not_headings():
    text = ("基地だより\n\n◆騒音の測定結果\n\n"
            "測定の本文である。長い説明が続いている。長い本文。\n\n"
            "●住民説明会を開催します\n説明会の本文である。長い説明が続いている。\n"
            "【日時】10月18日（土）午後2時\n【場所】町中央公民館\n【対象】町民の皆さま\n\n"
            "記事執筆：mi2_303\n\n本文である。長い説明が続いている。長い説明が続いている。\n\n"
            "インタビューに答える防衛相＝東京・市谷\n\n本文である。長い説明が続いている。長い説明。\n")
    assert _tree(text) == [("◆騒音の測定結果", 1, ""), ("●住民説明会を開催します", 1, "")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    "第1章　総論", "第2節　同盟", "1　概要", "1．概要", "(1)　意義", "（2）経緯", "ア　経緯",
    "## 見出し", "### 小見出し", "■ 見出し", "【見出し】", "概要[編集]", "はじめに", "注",
    "お問い合わせ先", "本文である。長い説明が続いている。長い説明が続いている。", "", "",
    "短い行", "・箇条書き", "- 2 -"]), max_size=40))
def test_hierarchy_is_a_tree_over_exact_offsets(lines):
    text = "タイトル\n" + "\n".join(lines)
    sections = segment_article("h", text).sections
    seen: dict[str, dict] = {}
    for s in sections:
        assert text[s["char_start"] : s["char_end"]] == s["text"]
        assert s["level"] >= 1
        if s["parent_id"]:
            parent = seen[s["parent_id"]]  # an earlier section
            assert s["level"] == parent["level"] + 1
            assert s["heading_path"] == " > ".join(
                p for p in (parent["heading_path"], s["heading"]) if p)
            if parent["kind"] in ("references", "contact"):
                assert s["kind"] == parent["kind"]
        else:
            assert s["level"] == 1
            assert s["heading_path"] == s["heading"]
        seen[s["section_id"]] = s


def test_layout_documents_headings_levels_and_kinds():
    """The heading benchmark's documents: headings F1, levels and kinds (the figures the
    benchmark prints; a floor so a regression shows)."""
    import json
    from pathlib import Path

    layouts = Path(__file__).parent / "data" / "layouts"
    tp = fp = fn = level_ok = kind_ok = 0
    for gold_file in sorted(layouts.glob("*.json")):
        gold = {s["line"]: s for s in json.loads(gold_file.read_text("utf-8"))["sections"]
                if s["line"] > 0}
        text = gold_file.with_suffix(".txt").read_text("utf-8")
        found = {s["line_start"]: s for s in segment_article(gold_file.stem, text).sections
                 if s["ordinal"] > 0}
        hits = set(gold) & set(found)
        tp, fp, fn = tp + len(hits), fp + len(found) - len(hits), fn + len(gold) - len(hits)
        level_ok += sum(found[h]["level"] == gold[h]["level"] for h in hits)
        kind_ok += sum((found[h]["kind"] in ("references", "contact"))
                       == (gold[h].get("kind") in ("references", "contact")) for h in hits)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert 2 * precision * recall / (precision + recall) >= 0.95
    assert level_ok / tp >= 0.95
    assert kind_ok == tp


def test_every_reference_and_contact_heading_is_found_through_the_prefilter():
    from pipeline.segment import _REFERENCE_HEADINGS, section_kind

    for word in _REFERENCE_HEADINGS:
        for heading in (word, f"■{word}", f"{word}[編集]", f"【{word}】", f"## {word}"):
            assert section_kind(heading) == "references", heading
    for heading in ("お問い合わせ先", "＜お問い合わせ先＞", "このページに関するお問い合わせ",
                    "【お問合せ】", "連絡先", "本件に関するお問い合わせ"):
        assert section_kind(heading) == "contact", heading
    for heading in ("概要", "日米地位協定の注目点", "関連する動き", "在日米軍"):
        assert section_kind(heading) == "body", heading


@pytest.mark.parametrize(("line", "furniture"), [
    ("■プレゼント応募期間■", True), ("抽選で3名様にプレゼント！", True), ("■賞品・応募数■", True),
    ("新しいキャンペーンを始めた企業の狙いとは何か、専門家に聞いた。", False),
    ("■デジ通の記事をもっと見る", True), ("上倉賢 @kamikura [digi2(デジ通)]", True),
    ("記事執筆：mi2_303", True), ("・米メディア「本田を獲得すべき」 - Sports Watch", True),
    ("・首相が訪米へ - 毎日新聞", True), ("・日米同盟の強化 - 2国間の協議を進める", False),
    ("・防衛費を増額する", False), ("日本は同盟国と協議を続けるとの考えを示した。", False),
])
def test_prize_notices_bylines_and_site_links_are_boilerplate(line, furniture):
    from pipeline.segment import is_boilerplate

    assert is_boilerplate(line) is furniture


def test_kanji_and_roman_numbering_nest_and_a_run_of_them_is_a_list():
    body = "本文である。ここには長い説明が続いている。長い説明が続いている。"
    speech = (f"施政方針演説\n令和8年1月23日\n\n一　はじめに\n\n{body}\n\n二　経済再生\n\n"
              f"（一）賃上げ\n\n{body}\n\n（二）経済安全保障\n\n{body}\n\n三　外交\n\n{body}\n")
    assert _tree(speech) == [
        ("一　はじめに", 1, ""), ("二　経済再生", 1, ""), ("（一）賃上げ", 2, "二　経済再生"),
        ("（二）経済安全保障", 2, "二　経済再生"), ("三　外交", 1, "")]
    column = (f"コラム\n\nⅠ．問題の所在\n\n{body}\n\nⅡ．経緯\n\n1．始まり\n\n{body}\n\n"
              f"2．2022年度からの変化\n\n{body}\n\nⅢ．論点\n\n{body}\n")
    assert _tree(column) == [
        ("Ⅰ．問題の所在", 1, ""), ("Ⅱ．経緯", 1, ""), ("1．始まり", 2, "Ⅱ．経緯"),
        ("2．2022年度からの変化", 2, "Ⅱ．経緯"), ("Ⅲ．論点", 1, "")]
    # a Latin numeral needs its dot: "I think so" is English, not heading Ⅰ
    assert explicit_heading("IV. 結論") and not explicit_heading("I think so")
    tips = (f"ビールの楽しみ方\n\n{body}\n\n一、きめ細かい泡でうまさをキープすべし\n"
            f"二、背の高いグラスで喉ごしを堪能すべし\n三、季節に合わせて楽しむべし\n\n{body}\n")
    assert _tree(tips) == []


def test_a_diet_question_and_answer_page_has_its_numbered_items_as_headings():
    page = ("質問主意書\n第217回国会(常会)\n提出番号 45\n\n"
            "在日米軍駐留経費に関する質問主意書\n以下質問する。\n"
            "一 在日米軍駐留経費負担について\n1 負担額の実績を示されたい。\n"
            "2 交渉の予定を示されたい。\n"
            "二 防衛関係費について\n1 算定の範囲を示されたい。\n右質問する。\n\n"
            "答弁書\n一の1について\n実績額は別表のとおりである。\n"
            "二の1及び2について\nお尋ねの経費は防衛省の予算である。\n")
    headings = [h for h, _level, _parent in _tree(page)]
    # 一 over its 1 2 is a heading over a list, not one list with it; 第217回国会 is a name
    assert headings == ["一 在日米軍駐留経費負担について", "二 防衛関係費について",
                        "一の1について", "二の1及び2について"]
    assert not explicit_heading("第217回国会(常会)") and explicit_heading("第3回　開催概要")
    assert not explicit_heading("一について述べる")



def test_a_digest_items_bracketed_label_and_headline_is_a_heading():
    item = ("米政権は9日、日本から輸入する乗用車に追加の関税を課すと発表した。"
            "日本政府は撤回を求め、閣僚級の協議を急ぐ方針だ。")
    digest = (f"今週のニュースまとめ\n\n前書きの文章である。今週も10本を選んだ。\n\n"
              f"【経済】米、日本車に追加関税を表明　政府は撤回求める (6/9.Mon)\n{item}\n"
              f"提供元：時事ナビ通信\n\n【外交】日豪が防衛協力の新協定に署名 (6/11.Wed)\n{item}\n")
    assert [h for h, _level, _parent in _tree(digest)] == [
        "【経済】米、日本車に追加関税を表明　政府は撤回求める (6/9.Mon)",
        "【外交】日豪が防衛協力の新協定に署名 (6/11.Wed)"]
    # over a URL it is a related-article link; over bullets or labels, particulars
    links = (f"独女の本音\n\n{item}\n\n【独女通信】彼の浮気が発覚！ あなたならどうする？\n"
             f"http://news.livedoor.com/article/detail/4125532/\n"
             f"【独女通信】今や超難関！！　専業主婦になるための「条件」とは？\n"
             f"http://news.livedoor.com/topics/detail/4309321/\n")
    notice = (f"説明会のお知らせ\n\n{item}\n\n【日時】9月14日（日） 午前10時から\n"
              f"【場所】町民会館 2階 ホール\n\n動作環境\n\n{item}\n\n"
              f"　　【ブラウザ】Microsoft Internet Explorer 6以上\n・{item}\n")
    assert _tree(links) == []
    assert [h for h, _level, _parent in _tree(notice)] == ["動作環境"]


def test_a_line_with_a_clock_time_is_a_stamp_or_a_particular_not_a_heading():
    for line in ("1. 名無しのガチ速民　2025年11月08日 18:22",
                 "■開催日時：2012年8月17日（金）開場・開演：17:00",
                 "◇日時：2012年3月7日(水) 13:00〜15:00"):
        assert not explicit_heading(line), line
    assert explicit_heading("■2012年8月の開催結果") and explicit_heading("1. 会見の概要")
