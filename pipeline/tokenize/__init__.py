"""Stage 3: sections to tokens with MeCab (fugashi's GenericTagger over unidic-lite).

Speed: each text is parsed with one MeCab call (line breaks and tabs become spaces of the same
length, so offsets hold) and an output format, defined in an rc file and selected with ``-O``
(unidic-lite's dicrc overrides ``-F``), that prints numbers only: the left context id, the word
cost, the unknown-word flag and the byte span. Reading any feature field (``%f[i]``) would cost
MeCab more than the analysis itself. What the fields would have said comes from elsewhere:

* parts of speech from the context id (unidic-lite's left-id.def starts with pos1..pos3), and for
  unknown words from their (context id, cost), looked up once per process;
* written base forms of verbs, adjectives and auxiliaries from their (surface, context id, cost),
  which picks one dictionary entry, looked up once per process in a batched parse;
* surfaces and character offsets from the text's own UTF-8 bytes.

The output of a whole batch of texts is turned into columns with pyarrow and numpy, so no Python
object is made per MeCab node. Tests check the parts of speech and base forms against MeCab's
full feature output.

Terms, the normalised forms used for modelling:

* noun sequences: prefix + noun, noun + suffix and runs of nouns become one compound
  (防衛 + 費 -> 防衛費, 日米 + 地位 + 協定 -> 日米地位協定, 対 + 米 + 投資 -> 対米投資);
* numbers keep their units and counters (5500 + 億 + ドル -> 5500億ドル, 15 + % -> 15%);
  a number never joins the noun before or after it (対米投資 | 1兆ドル);
* multi-word terms of the theme taxonomy and of a user list (``--terms``) are always one token,
  never split and never merged into a longer compound;
* verbs, adjectives and auxiliaries take their written dictionary form (orthBase), never a
  katakana lemma; every term is NFKC-normalised (ＧＤＰ -> GDP).

``tokens`` columns, one row per token in text order:

============  =====  ==============================================================
section_id    str
position      int    0-based index of the token within its section
surface       str    the text as written
term          str    normalised form used for modelling
pos           str    UniDic pos1 (名詞 for compounds and numbers)
pos_detail    str    UniDic pos2; ``複合`` for a compound, ``数詞`` for a number term,
                     ``用語`` for a listed term
char_start    int    offset into the article's decoded text
char_end      int
is_content    bool   content word (noun, verb, adjective, adjectival noun, compound) and not
                     a stopword or a single kana
parts         str    the morphemes of the token joined by ``|`` (a one-morpheme token: its
                     surface as it is)
============  =====  ==============================================================
"""


from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .cache import TokenCache, tokenize_cached
from .mecab import dictionary_version
from .tokenizer import TOKEN_COLUMNS, TOKENIZER_VERSION, Tokenizer, load_wordlist

__all__ = ["TOKENIZER_VERSION", "TOKEN_COLUMNS", "TokenCache", "Tokenizer", "dictionary_version",
           "load_wordlist", "tokenize", "tokenize_cached"]

def tokenize(sections: pd.DataFrame, tokenizer: Tokenizer | None = None,
             cache: Path | None = None, shards: bool = True) -> pd.DataFrame:
    """Tokenise every section's analysis text (boilerplate lines masked).

    Parameters
    ----------
    sections : DataFrame
        The ``sections`` table (needs section_id, char_start, analysis_text).
    tokenizer : Tokenizer or None
        None builds one with the shipped stopwords.
    cache : Path or None
        Folder of the token cache; None tokenises everything.
    shards : bool
        Also look texts up one by one in the cache (and add them to it); False keys the cache
        by this exact sequence of texts only, which suits one chunk of a large corpus.

    Returns
    -------
    tokens : DataFrame of shape (n_tokens, 10)
    """
    tokenizer = tokenizer or Tokenizer()
    texts = sections["analysis_text"].tolist()
    table = tokenize_cached(texts, tokenizer, cache, shards)
    doc = table["doc"].to_numpy()
    offsets = sections["char_start"].to_numpy().astype(np.int64)
    # The ids are repeated in Arrow: one Python string per token would cost more.
    section_ids = pa.Table.from_pandas(sections[["section_id"]], preserve_index=False).column(0)
    frame = table.drop(["doc"]).add_column(
        0, "section_id", section_ids.combine_chunks().cast(pa.string()).take(pa.array(doc))
    ).to_pandas()
    frame["char_start"] = frame["char_start"].to_numpy() + offsets[doc]
    frame["char_end"] = frame["char_end"].to_numpy() + offsets[doc]
    frame = frame.astype({"position": "int64", "char_start": "int64", "char_end": "int64",
                          "is_content": "bool"})
    return frame[TOKEN_COLUMNS]


