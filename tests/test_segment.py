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
        "section_id", "article_id", "ordinal", "kind", "heading", "line_start", "line_end",
        "char_start", "char_end", "published", "text", "analysis_text",
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
