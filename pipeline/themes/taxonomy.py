"""The theme taxonomy: its TOML format, validation and records.

A theme lists two kinds of terms:

- ``[theme.terms]``: *issue* terms, which name the issue (日米地位協定, 防衛費, 尖閣). They are
  evidence on their own, weighted by how specifically they name it (1.0: on their own; lower
  values need company).
- ``[theme.context]``: *context* terms: names of countries, capitals, leaders and places
  (中国, 韓国, 金正恩, 沖縄) and generic words (電力, 工場, 買収). They never carry a theme alone.
  A context term in the same sentence as one of the theme's ``with`` words (its issue
  vocabulary: 軍事, 外交, 首脳 …) is issue evidence for that sentence (中国 + 軍事); elsewhere it
  only corroborates issue evidence found in the same section.

Shared parts of the file:

- ``[vocabulary]``: named word lists that a theme's ``with`` list refers to as ``@name``.
- ``[[veto]]``: contexts in which theme words are not evidence, each with ``terms`` (any of
  them in a sentence makes the context) and ``applies_to``: ``"context"`` (context terms and
  their pairs do not count there: 韓国 in a sentence about a K-pop concert) or ``"all"``
  (nothing counts there: 関税 in a sentence about the Meiji treaties). With ``section_min``,
  a section holding that many different terms of the veto is in its context as a whole (a
  film story, a product review).
- ``proper_noun_suffixes``: a context term directly followed by one of these is part of a
  longer name and does not match (中国 in 中国総合通信局, 中国電力, 中国地方).

Per theme, ``exclude`` terms veto the theme's weaker terms (weight < 1) in their sentence, and
``rules`` (KH Coder's near()/seq()) and ``patterns`` (regular expressions) add issue evidence.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import TaxonomyError
from ..textutil import analysis_form

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = frozenset({"theme", "vocabulary", "veto", "proper_noun_suffixes"})
_THEME_KEYS = frozenset({"id", "label_ja", "label_en", "description", "terms", "context",
                         "with", "patterns", "exclude", "rules"})
_RULE_KEYS = frozenset({"all", "within", "ordered", "weight"})
_VETO_KEYS = frozenset({"id", "terms", "applies_to", "section_min"})
ISSUE = "issue"
CONTEXT = "context"

UNIDIC_POS = frozenset({
    "名詞", "動詞", "形容詞", "形状詞", "副詞", "連体詞", "接続詞", "感動詞", "代名詞", "接頭辞",
    "接尾辞", "助詞", "助動詞", "記号", "補助記号",
})


def normalize_term(text: str) -> str:
    """The matching form of a term: the same normalisation as the text it is matched in."""
    return analysis_form(text)


@dataclass(frozen=True)
class Term:
    """One taxonomy term.

    Attributes
    ----------
    form : str
        Matching form (normalised as the text is).
    weight : float
        Specificity for the theme, in (0, 1].
    display : str
        The term as written (NFKC, case kept), shown in evidence strings.
    pos : str or None
        UniDic part of speech the token must have (``基地@名詞`` in the file), or None.
    kind : {'issue', 'context'}
    """

    form: str
    weight: float
    display: str
    pos: str | None = None
    kind: str = ISSUE


@dataclass(frozen=True)
class Rule:
    """Co-occurrence rule (KH Coder's near()/seq()): one term of every group must occur.

    Within one sentence, and with ``within`` set, within that many tokens of each other;
    with ``ordered``, the groups in the order given.
    """

    groups: tuple[tuple[str, ...], ...]
    weight: float
    within: int | None = None
    ordered: bool = False

    def may_hold(self, norm: str) -> bool:
        """Whether every group has a term somewhere in ``norm``."""
        return all(any(term in norm for term in group) for group in self.groups)


@dataclass(frozen=True)
class Veto:
    """A context in which theme words are not evidence (see the module docstring)."""

    id: str
    terms: tuple[str, ...]
    applies_to: str = CONTEXT
    section_min: int | None = None


@dataclass(frozen=True)
class Theme:
    """One theme of the taxonomy: an issue, with its issue and context terms."""

    id: str
    label_ja: str
    label_en: str
    description: str
    terms: tuple[Term, ...]
    patterns: tuple[tuple[re.Pattern[str], float], ...] = ()
    exclude: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    with_words: tuple[str, ...] = ()

    @property
    def issue_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == ISSUE)

    @property
    def context_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == CONTEXT)


@dataclass(frozen=True)
class Taxonomy:
    """The themes and the file's shared settings; iterates, indexes and counts like the
    tuple of its themes."""

    themes: tuple[Theme, ...]
    vetoes: tuple[Veto, ...] = ()
    proper_noun_suffixes: tuple[str, ...] = ()

    def __iter__(self):
        return iter(self.themes)

    def __len__(self) -> int:
        return len(self.themes)

    def __getitem__(self, index):
        return self.themes[index]

    @property
    def ids(self) -> list[str]:
        return [theme.id for theme in self.themes]


def load_themes(path: Path, additions: tuple[Path, ...] = ()) -> Taxonomy:
    """The taxonomy at ``path`` extended by each file in ``additions`` (see merge_taxonomies)."""
    taxonomy = load_taxonomy(path)
    for extra in additions:
        taxonomy = merge_taxonomies(taxonomy, load_taxonomy(extra))
    return taxonomy


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate a taxonomy TOML file.

    Raises
    ------
    TaxonomyError
        With the file name, the line where it can be told, and the problem.
    """
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{path}: invalid TOML: {exc}") from None
    entries = data.get("theme")
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError(f"{path}: no [[theme]] tables found")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise TaxonomyError(f"{path}: unknown top-level key {unknown[0]!r} "
                            f"(allowed: {', '.join(sorted(_TOP_KEYS))})")
    vocabulary = _parse_vocabulary(data.get("vocabulary", {}), path)
    vetoes = tuple(_parse_veto(item, path) for item in data.get("veto", []))
    themes = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        themes.append(_parse_theme(entry, index, path, source, seen, vocabulary))
    suffixes = data.get("proper_noun_suffixes", [])
    if not isinstance(suffixes, list) or not all(isinstance(s, str) and s.strip()
                                                 for s in suffixes):
        raise TaxonomyError(f"{path}: 'proper_noun_suffixes' must be a list of non-empty strings")
    return Taxonomy(tuple(themes), vetoes,
                    tuple(sorted({normalize_term(s.strip()) for s in suffixes})))


def _parse_vocabulary(table, path: Path) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        raise TaxonomyError(f"{path}: [vocabulary] must be a table of name = [words]")
    vocabulary = {}
    for name, words in table.items():
        if not isinstance(words, list) or not words or not all(
                isinstance(w, str) and w.strip() for w in words):
            raise TaxonomyError(f"{path}: vocabulary {name!r} must be a non-empty list of words")
        vocabulary[name] = tuple(normalize_term(w.strip()) for w in words)
    return vocabulary


def _parse_veto(item, path: Path) -> Veto:
    if not isinstance(item, dict) or set(item) - _VETO_KEYS:
        extra = sorted(set(item) - _VETO_KEYS)[0] if isinstance(item, dict) else "?"
        raise TaxonomyError(f"{path}: [[veto]]: unknown key {extra!r} "
                            f"(allowed: {', '.join(sorted(_VETO_KEYS))})")
    veto_id = item.get("id")
    if not isinstance(veto_id, str) or not _ID_RE.match(veto_id):
        raise TaxonomyError(f"{path}: [[veto]]: 'id' must be a lower-case identifier")
    terms = item.get("terms")
    if not isinstance(terms, list) or not terms or not all(
            isinstance(t, str) and t.strip() for t in terms):
        raise TaxonomyError(f"{path}: veto {veto_id}: 'terms' must be a non-empty list")
    applies_to = item.get("applies_to", CONTEXT)
    if applies_to not in (CONTEXT, "all"):
        raise TaxonomyError(f"{path}: veto {veto_id}: 'applies_to' must be 'context' or 'all', "
                            f"got {applies_to!r}")
    section_min = item.get("section_min")
    if section_min is not None and (isinstance(section_min, bool)
                                    or not isinstance(section_min, int) or section_min < 1):
        raise TaxonomyError(f"{path}: veto {veto_id}: 'section_min' must be a whole number >= 1")
    return Veto(veto_id, tuple(normalize_term(t.strip()) for t in terms), applies_to,
                section_min)


def _line_of(source: str, index: int, key: str | None = None) -> int:
    """Line of the ``index``-th ``[[theme]]`` table, or of its line starting with ``key``."""
    lines = source.splitlines()
    blocks = [n for n, line in enumerate(lines, start=1) if line.strip() == "[[theme]]"]
    if index >= len(blocks):
        return 1
    first = blocks[index]
    last = blocks[index + 1] - 1 if index + 1 < len(blocks) else len(lines)
    if key is not None:
        for number in range(first, last + 1):
            stripped = lines[number - 1].lstrip()
            if stripped.startswith(key) and stripped[len(key):].lstrip().startswith("="):
                return number
    return first


def _valid_weight(weight) -> bool:
    return not isinstance(weight, bool) and isinstance(weight, (int, float)) and 0 < weight <= 1


def _parse_theme(entry: dict, index: int, path: Path, source: str, seen: set[str],
                 vocabulary: dict[str, tuple[str, ...]]) -> Theme:
    theme_id = entry.get("id")

    def fail(problem: str, key: str | None = None) -> TaxonomyError:
        line = _line_of(source, index, key)
        name = theme_id if isinstance(theme_id, str) else f"#{index + 1}"
        return TaxonomyError(f"{path}:{line}: theme {name}: {problem}")

    unknown = sorted(set(entry) - _THEME_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_THEME_KEYS))})",
                   unknown[0])
    if not isinstance(theme_id, str) or not _ID_RE.match(theme_id):
        raise fail("'id' must be a lower-case identifier such as 'tariffs'", "id")
    if theme_id in seen:
        raise fail("duplicate id", "id")
    seen.add(theme_id)
    for key in ("label_ja", "label_en"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise fail(f"'{key}' must be a non-empty string", key)
    parsed_terms = []
    for table_key, kind in (("terms", ISSUE), ("context", CONTEXT)):
        table = entry.get(table_key, {})
        if not isinstance(table, dict):
            raise fail(f"'{table_key}' must be a table of term = weight")
        for term, weight in table.items():
            if not term.strip():
                raise fail("empty term")
            if not _valid_weight(weight):
                raise fail(f"term {term!r}: weight must be a number in (0, 1], got {weight!r}",
                           f'"{term}"')
            text, _, pos = term.strip().partition("@")
            if pos and pos not in UNIDIC_POS:
                raise fail(f"term {term!r}: unknown part of speech {pos!r} "
                           f"(one of {', '.join(sorted(UNIDIC_POS))})", f'"{term}"')
            display = unicodedata.normalize("NFKC", text.strip())
            if not display:
                raise fail(f"term {term!r}: empty", f'"{term}"')
            parsed_terms.append(Term(normalize_term(display), float(weight), display,
                                     pos or None, kind))
    patterns = []
    for item in entry.get("patterns", []):
        if isinstance(item, dict) and set(item) - {"regex", "weight"}:
            extra = sorted(set(item) - {"regex", "weight"})[0]
            raise fail(f"unknown key {extra!r} in a pattern (allowed: regex, weight); "
                       "a [[theme.patterns]] table ends at the next table header", f'"{extra}"'
                       if not extra.isascii() else extra)
        if not isinstance(item, dict) or not isinstance(item.get("regex"), str):
            raise fail("each pattern needs a 'regex' string")
        weight = item.get("weight", 1.0)
        if not _valid_weight(weight):
            raise fail(f"pattern {item['regex']!r}: weight must be a number in (0, 1]")
        try:
            patterns.append((re.compile(normalize_term(item["regex"])), float(weight)))
        except re.error as exc:
            raise fail(f"pattern {item['regex']!r}: invalid regular expression ({exc})",
                       "regex") from None
    if not parsed_terms and not patterns:
        raise fail("needs at least one term or pattern")
    exclude = entry.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) and e.strip() for e in exclude):
        raise fail("'exclude' must be a list of non-empty strings", "exclude")
    with_words = entry.get("with", [])
    if not isinstance(with_words, list) or not all(isinstance(w, str) and w.strip()
                                                   for w in with_words):
        raise fail("'with' must be a list of words or @vocabulary names", "with")
    words: list[str] = []
    for word in with_words:
        word = word.strip()
        if word.startswith("@"):
            if word[1:] not in vocabulary:
                raise fail(f"'with' names unknown vocabulary {word!r} "
                           f"(known: {', '.join(sorted(vocabulary)) or 'none'})", "with")
            words.extend(vocabulary[word[1:]])
        else:
            words.append(normalize_term(word))
    if any(t.kind == CONTEXT for t in parsed_terms) and not words:
        raise fail("context terms need a 'with' list (the issue words that make them "
                   "evidence in a sentence)", "with")
    rules = []
    for item in entry.get("rules", []):
        if isinstance(item, dict) and set(item) - _RULE_KEYS:
            extra = sorted(set(item) - _RULE_KEYS)[0]
            raise fail(f"unknown key {extra!r} in a rule (allowed: {', '.join(sorted(_RULE_KEYS))})"
                       "; a [[theme.rules]] table ends at the next table header",
                       f'"{extra}"' if not extra.isascii() else extra)
        groups = item.get("all") if isinstance(item, dict) else None
        if (not isinstance(groups, list) or len(groups) < 2 or not all(
                isinstance(g, list) and g and all(isinstance(t, str) and t.strip() for t in g)
                for g in groups)):
            raise fail("each rule needs 'all': two or more non-empty lists of terms", "all")
        weight = item.get("weight", 1.0)
        if not _valid_weight(weight):
            raise fail(f"rule {groups!r}: weight must be a number in (0, 1]", "weight")
        within = item.get("within")
        if within is not None and (isinstance(within, bool) or not isinstance(within, int)
                                   or within < 0):
            raise fail(f"rule {groups!r}: 'within' must be a whole number of tokens", "within")
        rules.append(Rule(
            groups=tuple(tuple(normalize_term(t.strip()) for t in g) for g in groups),
            weight=float(weight), within=within, ordered=bool(item.get("ordered", False)),
        ))
    return Theme(
        id=theme_id,
        label_ja=entry["label_ja"].strip(),
        label_en=entry["label_en"].strip(),
        description=str(entry.get("description", "")).strip(),
        terms=_sorted_terms(parsed_terms),
        patterns=tuple(patterns),
        exclude=tuple(normalize_term(e.strip()) for e in exclude),
        rules=tuple(rules),
        with_words=tuple(dict.fromkeys(words)),
    )


def _sorted_terms(terms) -> tuple[Term, ...]:
    """Longest first, one entry per (form, part of speech): a later duplicate wins."""
    unique = {(t.form, t.pos): t for t in terms}
    return tuple(sorted(unique.values(), key=lambda t: (-len(t.form), t.form, t.pos or "")))


def merge_taxonomies(base: Taxonomy, extra: Taxonomy) -> Taxonomy:
    """``base`` extended by ``extra``: a theme with a known id adds its terms (a repeated term
    takes the new weight and kind), patterns, exclusions, rules and issue words; a new id is
    appended; vetoes and proper-noun suffixes are added."""
    merged = {theme.id: theme for theme in base}
    order = [theme.id for theme in base]
    for theme in extra:
        if theme.id not in merged:
            merged[theme.id] = theme
            order.append(theme.id)
            continue
        old = merged[theme.id]
        merged[theme.id] = Theme(
            id=old.id, label_ja=old.label_ja, label_en=old.label_en,
            description=old.description,
            terms=_sorted_terms([*old.terms, *theme.terms]),
            patterns=old.patterns + theme.patterns,
            exclude=tuple(dict.fromkeys(old.exclude + theme.exclude)),
            rules=old.rules + theme.rules,
            with_words=tuple(dict.fromkeys(old.with_words + theme.with_words)),
        )
    return Taxonomy(
        tuple(merged[i] for i in order), base.vetoes + extra.vetoes,
        tuple(sorted(set(base.proper_noun_suffixes) | set(extra.proper_noun_suffixes))))
