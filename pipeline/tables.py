"""The output tables: each one's name and written columns, declared once.

At the bottom of the import graph (it imports nothing of the package), so configuration can
name tables and every stage, the writer and the tests read the same declaration. What each
column means is in the README's table and the producing stage's docstring.
"""

from __future__ import annotations

# Columns written for each table, in writing order; extra in-memory columns (text,
# analysis_text) stay out.
OUTPUT_COLUMNS: dict[str, list[str]] = {
    "articles": ["article_id", "source", "title", "url", "published", "n_sections", "n_chars",
                 "encoding", "sha256"],
    "sections": ["section_id", "article_id", "ordinal", "kind", "heading", "line_start",
                 "line_end", "char_start", "char_end", "published", "text"],
    "boilerplate": ["article_id", "line", "text"],
    "sentences": ["section_id", "sentence_id", "kind", "text", "char_start", "char_end"],
    "citations": ["section_id", "outlet", "url", "note"],
    "tokens": ["section_id", "position", "surface", "term", "pos", "pos_detail", "char_start",
               "char_end", "is_content", "parts"],
    "topics": ["topic_id", "rank", "term", "weight"],
    "topic_summary": ["topic_id", "label", "share", "coherence", "stability"],
    "section_topics": ["section_id", "topic_id", "weight"],
    "article_topics": ["article_id", "topic_id", "weight"],
    "topic_trends": ["topic_id", "period", "weight"],
    "k_selection": ["k", "coherence", "stability", "reconstruction_error", "score", "chosen"],
    "section_themes": ["section_id", "theme_id", "score", "evidence", "method"],
    "article_themes": ["article_id", "theme_id", "score", "share", "n_sections"],
    "themes": ["theme_id", "label_ja", "label_en", "n_sections"],
}


# Values of ``sentences.kind`` (pipeline.segment assigns them; --exclude-kinds names them).
SENTENCE_KINDS = ("heading", "question", "answer", "body", "bullet", "quote", "source_summary",
                  "citation", "comment", "date")
