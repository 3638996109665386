"""Theme scores per section and per article, from evidence (:mod:`.matching`) and the learned
model (:mod:`.learned`). The score formula lives here and nowhere else.

1. **Lexical score**: what the section's issue evidence says, and how much of it.
   ``raw = Σ weight·(1 + ln count)`` over issue evidence (terms, rules, patterns and
   ``context+with`` pairs), plus ``CONTEXT_WEIGHT`` times that sum over the other context terms
   when there is issue evidence at all (context never carries a theme alone);
   ``presence = 1 - exp(-raw)``.
   *Density*: ``coverage`` is the share of the section's sentences that carry issue evidence
   (each weighted by its strongest evidence; sentences with only context terms count
   ``CONTEXT_WEIGHT`` as much), plus ``HEADLINE_COVERAGE`` when the headline (the
   title of a lead, a section's heading) does; ``lexical = presence · min(1, sqrt(coverage /
   FULL_COVERAGE))``, at least ``CORE_FLOOR`` when a term naming the issue on its own (weight
   >= ``CORE_WEIGHT``) occurs. Weak or paired evidence once in a long review stays low; a short
   passage about the issue, a heading that names it, or a core term keeps (most of) it.
2. **Learned model**: a naive Bayes model per theme, fitted on this corpus with the sections
   whose lexical score is at least ``SEED_SCORE`` as seeds and the sections without evidence as
   background. For a section with any evidence of the theme (issue or context), ``p`` its
   posterior: ``score = 1 - (1 - lexical)(1 - LEARNED_WEIGHT·p)``. It raises sections the corpus
   says are about the theme (context-only evidence can then reach the threshold), never
   sections without any taxonomy word.
3. **Verifier** (:mod:`.supervised`): a logistic regression trained on the labelled sets
   gives each candidate (a section and a theme it has evidence of) the probability ``v`` that
   the section really discusses the theme. Below ``VERIFIER_VETO`` the candidate is not
   tagged; otherwise it nudges the score: ``score + VERIFIER_WEIGHT·(v - 0.5)``, at most
   ±0.1, so it decides only near the threshold (a summary that names an issue once and that
   the verifier is sure of; a borderline mention it doubts). A section without any score (only
   context terms) stays at 0: the verifier never tags what the evidence does not propose.
4. A section is tagged when ``score >= min_score`` (default 0.5).

*Framing*: before any of this, a lead about a theme (lexical score at least ``FRAME_SCORE``)
frames its article: in the article's other sections, the theme's context terms count as
corroborated (as if their sentence held a ``with`` word), ``工場+lead×2``. The title and the
opening say what the document is about; a later section's 工場 and 雇用 in a release that
announces a plant in the US is that plant. Without such a lead, context terms stay context.

``method`` says what decided: ``lexicon`` (the lexical score alone), ``model`` (the learned
model raised a section without issue evidence), ``both``, with ``+verifier`` when the
verifier's nudge lifted the score over the threshold; ``evidence`` ends with the verifier's
probability and the section's words that raise it most (``[verifier 0.83: 日米 …]``) when it
confirmed the tag.

An article carries a theme when its lead (which holds the title) is tagged with it, when
the sections tagged with it make up at least ``ARTICLE_MIN_SHARE`` of its text, or when one
of them is an item of its own: at least ``ITEM_MIN_CHARS`` long and tagged with a score of at
least ``ITEM_MIN_SCORE`` (a digest's story, a white paper's sub-section: readers of the
Livedoor roundups tag the roundup with its one energy story); its ``score``
is the length-weighted mean of its sections' scores (0 for untagged ones), ``share`` the
length share of the tagged sections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..vectorize import DocumentTermMatrix
from .learned import SeededNaiveBayes
from .matching import SectionEvidence, ThemeEvidence, format_evidence
from .supervised import (
    FEATURE_NAMES,
    Candidates,
    ThemeVerifier,
    evidence_features,
    section_words,
    shipped_verifier,
)
from .taxonomy import Taxonomy

SECTION_THEME_COLUMNS = ["section_id", "theme_id", "score", "evidence", "method"]
ARTICLE_THEME_COLUMNS = ["article_id", "theme_id", "score", "share", "n_sections"]
THEME_COLUMNS = ["theme_id", "label_ja", "label_en", "n_sections"]
DECIMALS = 4

CONTEXT_WEIGHT = 0.5
FULL_COVERAGE = 0.15
HEADLINE_COVERAGE = 0.2
# A term that names the issue on its own (weight >= CORE_WEIGHT) keeps at least CORE_FLOOR of
# its presence however long the section: a summary that names 尖閣諸島 once discusses it.
CORE_WEIGHT = 0.8
CORE_FLOOR = 0.8
SEED_SCORE = 0.7
LEARNED_WEIGHT = 0.6
# A learned contribution below this is not used (and does not count in ``method``).
LEARNED_EVIDENCE_MIN = 0.05
ARTICLE_MIN_SHARE = 0.2
ITEM_MIN_CHARS = 100
ITEM_MIN_SCORE = 0.7
# A lead whose lexical score for a theme reaches this frames its article (see Framing above).
FRAME_SCORE = 0.5
# How a context term corroborated by its article's lead shows in ``evidence`` (工場+lead×2).
FRAMED_SUFFIX = "+lead"
# A candidate the verifier gives less than this is not tagged; the others' scores move by
# VERIFIER_WEIGHT·(v - 0.5). Both chosen by cross-validation on the development sets in
# benchmarks/train_verifier.py (the veto removes the most false tags for the fewest true ones;
# the nudge recovers summaries just under the threshold).
VERIFIER_VETO = 0.3
VERIFIER_WEIGHT = 0.2
# The guided topic model (ablation only): score = 1 - (1 - lexical)(1 - GUIDED_WEIGHT·m).
GUIDED_WEIGHT = 0.6


@dataclass(frozen=True)
class ScoringOptions:
    """Which parts of the scoring run (the defaults are the shipped scoring; the others are
    for the ablation in ``benchmarks/themes.py``).

    Parameters
    ----------
    density : bool
        Scale the lexical score by the share of the section about the theme.
    learned : bool
        Let the corpus's naive Bayes model corroborate the evidence.
    guided : bool
        Let a guided NMF (one seeded topic per theme) corroborate the evidence.
    verifier : bool
        Let the verifier trained on the labelled sets (:mod:`.supervised`) veto candidates.
    framing : bool
        Let a lead about a theme corroborate the theme's context terms in the rest of its
        article (:func:`framed_evidence`).
    """

    density: bool = True
    learned: bool = True
    guided: bool = False
    verifier: bool = True
    framing: bool = True


DEFAULT_OPTIONS = ScoringOptions()


def lexical_score(evidence: ThemeEvidence, density: bool = True) -> float:
    """The lexical score of one section for one theme (step 1 of the module docstring)."""
    if not evidence.issue and not evidence.pairs:
        return 0.0
    raw = (_mass(evidence.issue, evidence.issue_weights)
           + _mass(evidence.pairs, evidence.pair_weights)
           + CONTEXT_WEIGHT * _mass(evidence.context, evidence.context_weights))
    presence = 1.0 - math.exp(-raw)
    if not density:
        return presence
    coverage = ((evidence.sentence_mass + evidence.pair_mass
                 + CONTEXT_WEIGHT * evidence.context_mass) / max(1, evidence.n_sentences))
    if evidence.headline:
        coverage += HEADLINE_COVERAGE
    density = math.sqrt(coverage / FULL_COVERAGE)
    if evidence.core >= CORE_WEIGHT:
        density = max(density, CORE_FLOOR)
    return presence * min(1.0, density)


def framed_evidence(evidence: SectionEvidence, sections: pd.DataFrame,
                    taxonomy: Taxonomy | None = None) -> SectionEvidence:
    """The evidence with the leads' framing applied (see the module docstring): in the other
    sections of an article whose lead is about a theme, that theme's context-only evidence
    becomes pair evidence (``term+lead``: ``FRAMED_SUFFIX``). Returns a new dict;
    ``evidence`` is not changed.

    Parameters
    ----------
    evidence : dict
        :func:`~pipeline.themes.matching.lexical_evidence` of the sections.
    sections : DataFrame
        section_id, article_id, ordinal of the sections (without those columns: no framing).
    taxonomy : Taxonomy or None
        Only its themes frame (None: every theme of the evidence).
    """
    if not evidence or not {"article_id", "ordinal"} <= set(sections.columns):
        return evidence
    wanted = None if taxonomy is None else set(taxonomy.ids)
    article_of = dict(zip(sections["section_id"].astype(str), sections["article_id"],
                          strict=True))
    frames: dict[object, set[str]] = {}
    for sid in sections.loc[sections["ordinal"] == 0, "section_id"].astype(str):
        themes = {t for t, found in evidence.get(sid, {}).items()
                  if (wanted is None or t in wanted) and lexical_score(found) >= FRAME_SCORE}
        if themes:
            frames[article_of[sid]] = themes
    if not frames:
        return evidence
    framed = dict(evidence)
    for sid, per_theme in evidence.items():
        themes = frames.get(article_of.get(str(sid)), set())
        weak = [t for t in themes if t in per_theme and not per_theme[t].issue
                and not per_theme[t].pairs and per_theme[t].context]
        if weak:
            framed[sid] = {**per_theme, **{t: _framed(per_theme[t]) for t in weak}}
    return framed


def _framed(found: ThemeEvidence) -> ThemeEvidence:
    """Context-only evidence corroborated by its article's lead: the context terms as pairs."""
    return replace(
        found, pairs={term + FRAMED_SUFFIX: n for term, n in found.context.items()},
        pair_weights={term + FRAMED_SUFFIX: found.context_weights[term]
                      for term in found.context},
        context={}, context_weights={}, pair_mass=found.pair_mass + found.context_mass,
        context_mass=0.0, framed=True)


def _mass(counts: dict[str, int], weights: dict[str, float]) -> float:
    return sum(weights[k] * (1.0 + math.log(c)) for k, c in counts.items())


def _fit_seeded(dtm: DocumentTermMatrix, lexical: np.ndarray,
                any_evidence: np.ndarray) -> SeededNaiveBayes:
    """The learned model: the sure sections as seeds, those without evidence as background
    (rows in ``dtm`` order)."""
    return SeededNaiveBayes().fit(dtm.matrix, lexical >= SEED_SCORE, ~any_evidence.any(axis=1))


def _learned_probabilities(dtm: DocumentTermMatrix, lexical: np.ndarray,
                           any_evidence: np.ndarray) -> tuple[np.ndarray, SeededNaiveBayes]:
    model = _fit_seeded(dtm, lexical, any_evidence)
    return model.predict_proba(dtm.matrix), model


def _lexical(ids: list[str], evidence: SectionEvidence, taxonomy: Taxonomy,
             density: bool) -> tuple[np.ndarray, np.ndarray]:
    """Lexical scores and whether there is any evidence, shape (n_sections, n_themes)."""
    theme_ids = taxonomy.ids
    rows_of = {sid: i for i, sid in enumerate(ids)}
    lexical = np.zeros((len(ids), len(theme_ids)))
    any_evidence = np.zeros((len(ids), len(theme_ids)), dtype=bool)
    for sid, per_theme in evidence.items():
        i = rows_of.get(sid)
        if i is None:
            continue
        for t, theme_id in enumerate(theme_ids):
            found = per_theme.get(theme_id)
            if found is not None:
                any_evidence[i, t] = True
                lexical[i, t] = lexical_score(found, density)
    return lexical, any_evidence


def fit_learned(section_ids, evidence: SectionEvidence, taxonomy: Taxonomy,
                dtm: DocumentTermMatrix, options: ScoringOptions = DEFAULT_OPTIONS,
                ) -> SeededNaiveBayes:
    """The naive Bayes model :func:`section_scores` fits on a corpus (to save it and score
    new sections with it)."""
    ids = [str(s) for s in section_ids]
    lexical, any_evidence = _lexical(ids, evidence, taxonomy, options.density)
    rows_of = {sid: i for i, sid in enumerate(ids)}
    order = np.array([rows_of[str(s)] for s in dtm.doc_ids], dtype=np.int64)
    return _fit_seeded(dtm, lexical[order], any_evidence[order])


def candidates(section_ids, evidence: SectionEvidence, taxonomy: Taxonomy,
               leads=None, counts: DocumentTermMatrix | None = None,
               learned: np.ndarray | None = None) -> Candidates:
    """Every (section, theme) with evidence of the theme, with the verifier's features.

    Parameters
    ----------
    section_ids : sequence of str
        Every section, in table order.
    evidence : dict
        :func:`~pipeline.themes.matching.lexical_evidence` of the sections.
    taxonomy : Taxonomy
    leads : sequence of bool or None
        Whether each section is its article's lead (None: none is).
    counts : DocumentTermMatrix or None
        Raw counts of the sections' content terms (:func:`~pipeline.vectorize.term_counts`).
    learned : ndarray of shape (n_sections, n_themes) or None
        The corpus model's posterior (None: 0).
    """
    ids = [str(s) for s in section_ids]
    rows_of = {sid: i for i, sid in enumerate(ids)}
    theme_index = {t: k for k, t in enumerate(taxonomy.ids)}
    rows, themes, features = [], [], []
    for sid, per_theme in evidence.items():
        i = rows_of.get(str(sid))
        if i is None:
            continue
        for theme_id, found in per_theme.items():
            t = theme_index.get(theme_id)
            if t is None:
                continue
            rows.append(i)
            themes.append(t)
            features.append(evidence_features(
                found, lexical_score(found, True), lexical_score(found, False),
                bool(leads[i]) if leads is not None else False,
                float(learned[i, t]) if learned is not None else 0.0))
    rows_array = np.asarray(rows, dtype=np.int64)
    return Candidates(rows_array, np.asarray(themes, dtype=np.int64), list(taxonomy.ids),
                      np.asarray(features, dtype=np.float64).reshape(len(rows),
                                                                     len(FEATURE_NAMES)),
                      section_words(counts, ids, set(rows)))


def learned_posteriors(section_ids, evidence: SectionEvidence, taxonomy: Taxonomy,
                       dtm: DocumentTermMatrix) -> np.ndarray:
    """The corpus model's posterior of each section and theme where :func:`section_scores`
    uses it (any evidence of the theme, a contribution of at least ``LEARNED_EVIDENCE_MIN``),
    else 0; shape (n_sections, n_themes). The verifier's ``learned`` feature."""
    ids = [str(s) for s in section_ids]
    lexical, any_evidence = _lexical(ids, evidence, taxonomy, True)
    posterior = np.zeros_like(lexical)
    if dtm.n_documents:
        rows_of = {sid: i for i, sid in enumerate(ids)}
        order = np.array([rows_of[str(s)] for s in dtm.doc_ids], dtype=np.int64)
        posterior[order] = _learned_probabilities(dtm, lexical[order], any_evidence[order])[0]
    return np.where(any_evidence & (LEARNED_WEIGHT * posterior >= LEARNED_EVIDENCE_MIN),
                    posterior, 0.0)


def verified_scores(scores: np.ndarray, probability: np.ndarray, veto: float = VERIFIER_VETO,
                    weight: float = VERIFIER_WEIGHT) -> np.ndarray:
    """Step 3 of the module docstring: the verifier's veto and nudge.

    Parameters
    ----------
    scores : ndarray of shape (n_sections, n_themes)
        The scores of steps 1-2.
    probability : ndarray of shape (n_sections, n_themes)
        The verifier's probability of each candidate; NaN where there is none.
    veto, weight : float
        ``VERIFIER_VETO`` and ``VERIFIER_WEIGHT`` (others for the ablation).

    Returns
    -------
    ndarray of shape (n_sections, n_themes)
    """
    checked = ~np.isnan(probability) & (scores > 0)
    p = np.where(checked, probability, 0.5)
    nudged = np.clip(scores + weight * (p - 0.5), 0.0, 1.0)
    return np.where(checked, np.where(p < veto, 0.0, nudged), scores)


def section_scores(
    section_ids, evidence: SectionEvidence, taxonomy: Taxonomy, min_score: float = 0.5,
    dtm: DocumentTermMatrix | None = None, random_state: int = 0,
    options: ScoringOptions = DEFAULT_OPTIONS, model: SeededNaiveBayes | None = None,
    leads=None, counts: DocumentTermMatrix | None = None,
    verifier: ThemeVerifier | None = None,
) -> pd.DataFrame:
    """The ``section_themes`` table: one row per tagged (section, theme).

    Parameters
    ----------
    section_ids : sequence of str
        Every section, in table order.
    evidence : dict
        :func:`~pipeline.themes.matching.lexical_evidence` of the sections.
    taxonomy : Taxonomy
    min_score : float
        Tagging threshold in [0, 1].
    dtm : DocumentTermMatrix or None
        TF-IDF of the sections, for the learned parts; None scores on lexical evidence only.
    random_state : int
        Seed of the guided model (with ``options.guided``). Pass an int for reproducible
        output across multiple calls.
    options : ScoringOptions
    model : SeededNaiveBayes or None
        A fitted learned model (from :func:`fit_learned` of another corpus, or a saved one) to
        score with; None fits one on these sections.
    leads : sequence of bool or None
        Whether each section is its article's lead (a feature of the verifier).
    counts : DocumentTermMatrix or None
        Raw counts of the sections' content terms, for the verifier's words (None: no
        verifier).
    verifier : ThemeVerifier or None
        The verifier to use with ``options.verifier`` (None: the shipped one).
    """
    theme_ids = taxonomy.ids
    ids = list(section_ids)
    rows_of = {sid: i for i, sid in enumerate(ids)}
    lexical, any_evidence = _lexical(ids, evidence, taxonomy, options.density)
    # The learned parts see the sections of the topic-model matrix, in its row order.
    learned = np.zeros_like(lexical)
    dtm_rows: dict[str, int] = {}
    if dtm is not None and dtm.n_documents and (options.learned or options.guided):
        dtm_rows = {str(sid): r for r, sid in enumerate(dtm.doc_ids)}
        order = np.array([rows_of[str(s)] for s in dtm.doc_ids])
        if options.learned:
            if model is None:
                probabilities, model = _learned_probabilities(dtm, lexical[order],
                                                              any_evidence[order])
            else:
                probabilities = model.predict_proba(dtm.matrix)
            learned[order] = LEARNED_WEIGHT * probabilities
        if options.guided:
            from .guided import guided_shares

            shares = guided_shares(dtm, taxonomy, random_state)
            if shares is not None:
                learned[order] = np.maximum(learned[order], GUIDED_WEIGHT * shares)
    learned = np.where(any_evidence & (learned >= LEARNED_EVIDENCE_MIN), learned, 0.0)
    scores = 1.0 - (1.0 - lexical) * (1.0 - learned)
    # The verifier's probability of each candidate (NaN: not a candidate, or not verified).
    verified = np.full(lexical.shape, np.nan)
    # Without the sections' words the verifier would judge on half its evidence: not at all.
    use_verifier = options.verifier and counts is not None
    if use_verifier and verifier is None:
        verifier = shipped_verifier()
    if use_verifier and verifier is not None:
        found = candidates(ids, evidence, taxonomy, leads, counts, learned / LEARNED_WEIGHT)
        verified[found.rows, found.themes] = verifier.predict_proba(found)[:, 1]
        verifier_words = found.words
    unverified = scores
    scores = verified_scores(scores, verified)
    threshold = max(min_score, 1e-9)
    rows = []
    for i, t in zip(*np.nonzero(np.round(scores, DECIMALS) >= threshold), strict=True):
        sid, theme_id = ids[i], theme_ids[t]
        found = evidence[sid][theme_id]
        parts = [format_evidence({**found.issue, **found.pairs})] if (
            found.issue or found.pairs) else []
        if found.context:
            parts.append("context: " + format_evidence(found.context))
        if learned[i, t] > 0:
            label = "model"
            if model is not None and sid in dtm_rows:
                words = model.top_terms(dtm.matrix[dtm_rows[sid]], t, dtm.terms)
                label = f"model {learned[i, t] / LEARNED_WEIGHT:.2f}" + (
                    f": {' '.join(words)}" if words else "")
            parts.append(f"[{label}]")
        has_issue = bool(found.issue or found.pairs)
        method = ("both" if has_issue else "model") if learned[i, t] > 0 else "lexicon"
        if method == "both" and lexical[i, t] >= min_score and (
                unverified[i, t] - lexical[i, t] < 0.01):
            method = "lexicon"
        if np.round(unverified[i, t], DECIMALS) < threshold:
            method += "+verifier"
        if not np.isnan(verified[i, t]):
            top = verifier.top_words(verifier_words[i])
            parts.append(f"[verifier {verified[i, t]:.2f}" + (f": {' '.join(top)}]" if top
                                                              else "]"))
        rows.append((sid, theme_id, round(float(scores[i, t]), DECIMALS), "; ".join(parts),
                     method))
    return pd.DataFrame(rows, columns=SECTION_THEME_COLUMNS)


def article_scores(sections: pd.DataFrame, section_themes: pd.DataFrame,
                   taxonomy: Taxonomy) -> pd.DataFrame:
    """The ``article_themes`` table (see the module docstring for when an article carries a
    theme).

    Parameters
    ----------
    sections : DataFrame
        section_id, article_id, ordinal, char_start, char_end of every section.
    section_themes : DataFrame
        The tagged sections.
    taxonomy : Taxonomy
    """
    if section_themes.empty:
        return pd.DataFrame(columns=ARTICLE_THEME_COLUMNS).astype(
            {"score": float, "share": float, "n_sections": "int64"})
    indexed = sections.set_index("section_id")
    lengths = (indexed["char_end"] - indexed["char_start"]).astype(np.float64)
    article_length = lengths.groupby(indexed["article_id"]).sum()
    tagged = section_themes[["section_id", "theme_id", "score"]].copy()
    tagged["article_id"] = tagged["section_id"].map(indexed["article_id"])
    tagged["length"] = tagged["section_id"].map(lengths)
    tagged["weighted"] = tagged["score"] * tagged["length"]
    tagged["lead"] = tagged["section_id"].map(indexed["ordinal"]) == 0
    tagged["item"] = (tagged["length"] >= ITEM_MIN_CHARS) & (tagged["score"] >= ITEM_MIN_SCORE)
    grouped = tagged.groupby(["article_id", "theme_id"], sort=False).agg(
        weighted=("weighted", "sum"), length=("length", "sum"), n_sections=("score", "size"),
        lead=("lead", "any"), item=("item", "any")).reset_index()
    total = grouped["article_id"].map(article_length).clip(lower=1)
    grouped["score"] = (grouped["weighted"] / total).round(DECIMALS)
    grouped["share"] = (grouped["length"] / total).round(DECIMALS)
    kept = grouped[grouped["lead"] | grouped["item"]
                   | (grouped["share"] >= ARTICLE_MIN_SHARE)].copy()
    kept["order"] = kept["theme_id"].map({t: i for i, t in enumerate(taxonomy.ids)})
    kept = kept.sort_values(["article_id", "order"], kind="stable")
    return kept[ARTICLE_THEME_COLUMNS].reset_index(drop=True).astype({"n_sections": "int64"})


def theme_tables(
    sections: pd.DataFrame, evidence: SectionEvidence, taxonomy: Taxonomy,
    min_score: float = 0.5, dtm: DocumentTermMatrix | None = None, random_state: int = 0,
    options: ScoringOptions = DEFAULT_OPTIONS, model: SeededNaiveBayes | None = None,
    counts: DocumentTermMatrix | None = None, verifier: ThemeVerifier | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``section_themes``, ``article_themes`` and ``themes`` from the sections' evidence.

    Parameters
    ----------
    sections : DataFrame
        section_id, article_id, ordinal, char_start, char_end of every section.
    evidence, taxonomy, min_score, dtm, random_state, options, model, counts, verifier
        As for :func:`section_scores`.
    """
    if options.framing:
        evidence = framed_evidence(evidence, sections, taxonomy)
    section_themes = section_scores(sections["section_id"], evidence, taxonomy, min_score, dtm,
                                    random_state, options, model,
                                    leads=(sections["ordinal"] == 0).to_numpy(), counts=counts,
                                    verifier=verifier)
    article_themes = article_scores(sections, section_themes, taxonomy)
    counts = section_themes["theme_id"].value_counts()
    themes_table = pd.DataFrame(
        [(t.id, t.label_ja, t.label_en, int(counts.get(t.id, 0))) for t in taxonomy],
        columns=THEME_COLUMNS,
    )
    return section_themes, article_themes, themes_table
