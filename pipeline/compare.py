"""Stage 7: compare coverage across groups of articles (outlet, category, folder, period).

Every table here is computed from the other stages' tables, in the main process, after the
themes and topics: the results do not depend on the number of workers.

Groups
------
A grouping field (``--by``) is a key of the articles' metadata (a column of a table input that
is not its text, id, title, date or URL; ``folder`` with ``--group-from folder``) or
``published``, whose groups are periods (``--period``). Articles without a value for the field
are in none of its groups.

Shares and their intervals
--------------------------
``group_themes.share`` is the share of a group's sections tagged with the theme;
``group_topics.share`` is the mean topic weight of the group's sections that have topic
weights (so it sums to 1 over topics). Sections of one article are not independent (an
article about the bases issue tags most of its sections with it), so the 95% interval treats
articles as clusters: the cluster-robust (linearisation) variance of the ratio estimator over
articles, ``v = n/(n-1) * sum_i (y_i - r m_i)^2 / (sum_i m_i)^2`` for ``n`` articles with
``y_i`` tagged sections (or summed weights) out of ``m_i``, gives an effective number of
sections ``n_eff = r(1-r)/v`` (Kish's sample size over the design effect; for themes at most
the number of sections, as Korn and Graubard 1998 truncate the design effect at 1), and the
interval is Wilson's score interval on ``n_eff`` with Student's t quantile on the articles'
degrees of freedom (``n - 1``). Wilson's form stays inside [0, 1] and is not degenerate at a
share of 0 (where the variance cannot be estimated, ``n_eff`` is the number of articles).
A cluster bootstrap would need random draws per cell and be no better in coverage; this is
one closed form. Its coverage, measured by simulation on planted corpora (``benchmarks/
compare.py --coverage``): 0.93-0.97 for groups of 30 to 1,000 articles, lowest (0.93) for a
3% share concentrated in a few articles.

Distinctive words
-----------------
``keyness`` compares each group's term counts with the rest of the corpus by the log-odds ratio
with an informative Dirichlet prior (Monroe, Colaresi and Quinn 2008, "Fightin' Words",
section 3.5): ``delta_w = log((y_w + a_w) / (n + a0 - y_w - a_w)) - log((y'_w + a_w) /
(n' + a0 - y'_w - a_w))`` with ``a_w = a0 * (corpus share of w)``, ``a0`` =
:data:`PRIOR_STRENGTH`, and ``z = delta_w / sqrt(1 / (y_w + a_w) + 1 / (y'_w + a_w))``.
The counts are of the content terms the topic model counts (numbers left out), over all
sections or (``--keyness-theme``) only the sections tagged with a theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from .tables import OUTPUT_COLUMNS, empty_table
from .textutil import period_labels, section_periods
from .vectorize import DocumentTermMatrix

# z of a two-sided 95% interval.
Z95 = 1.959963984540054
# Pseudo-counts of the keyness prior (spread over terms by their corpus share).
PRIOR_STRENGTH = 1000.0
DECIMALS = 6
PUBLISHED = "published"


@dataclass(frozen=True)
class Interval:
    """Shares of groups with their 95% intervals.

    Attributes
    ----------
    share, low, high : ndarray of shape (n_groups, n_outcomes)
    """

    share: np.ndarray
    low: np.ndarray
    high: np.ndarray


def wilson(share: np.ndarray, n: np.ndarray,
           z: float | np.ndarray = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval for proportions ``share`` observed on ``n`` (effective) trials.

    Returns
    -------
    low, high : ndarray of the broadcast shape of ``share`` and ``n``
    """
    n = np.maximum(np.asarray(n, dtype=np.float64), 1e-12)
    z2 = z * z
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = z * np.sqrt(np.maximum(share * (1 - share), 0) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def clustered_shares(outcomes: np.ndarray, sizes: np.ndarray, groups: np.ndarray,
                     n_groups: int, binary: bool = True) -> Interval:
    """Ratio shares per group with cluster-robust Wilson intervals (see the module docstring).

    Parameters
    ----------
    outcomes : ndarray of shape (n_clusters, n_outcomes)
        Per article: the number of its sections with each outcome (or the sum of their
        weights), between 0 and ``sizes``.
    sizes : ndarray of shape (n_clusters,)
        Per article: its number of sections.
    groups : ndarray of shape (n_clusters,)
        Each article's group, in ``range(n_groups)``.
    n_groups : int
    binary : bool
        Outcomes are counts of sections (themes), not sums of weights (topics): the effective
        number of sections is then at most the number of sections.

    Returns
    -------
    Interval
        Of shape (n_groups, n_outcomes); a group without sections has share 0 and [0, 1].
    """
    y = np.asarray(outcomes, dtype=np.float64)
    m = np.asarray(sizes, dtype=np.float64)
    indicator = sp.csr_matrix((np.ones(len(groups)), (groups, np.arange(len(groups)))),
                              shape=(n_groups, len(groups)))
    total_y = indicator @ y
    total_m = indicator @ m
    n_clusters = indicator @ np.ones(len(groups))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total_m[:, None] > 0, total_y / total_m[:, None], 0.0)
        # sum_i (y_i - r m_i)^2, expanded so that it is three sparse products.
        squares = (indicator @ (y * y) - 2 * share * (indicator @ (y * m[:, None]))
                   + share ** 2 * (indicator @ (m * m))[:, None])
        squares = np.maximum(squares, 0.0)
        correction = np.where(n_clusters > 1, n_clusters / np.maximum(n_clusters - 1, 1), 0.0)
        variance = correction[:, None] * squares / (total_m[:, None] ** 2)
        binomial = share * (1 - share)
        n_eff = np.where(variance > 1e-15, binomial / variance, total_m[:, None])
    inside = (share > 1e-12) & (share < 1 - 1e-12) & (n_clusters[:, None] > 1)
    # At a share of 0 or 1, or with one article, the variance says nothing: count articles.
    n_eff = np.where(inside, n_eff, n_clusters[:, None])
    if binary:
        # Counts of sections: a design effect below 1 is noise (Korn and Graubard 1998).
        n_eff = np.minimum(n_eff, total_m[:, None])
    n_eff = np.maximum(n_eff, 1.0)
    # Student's t on the articles' degrees of freedom: few articles, a wider interval.
    z = stats.t.ppf(0.975, np.maximum(n_clusters - 1, 1))[:, None]
    low, high = wilson(share, n_eff, z)
    empty = total_m[:, None] == 0
    return Interval(share, np.where(empty, 0.0, low), np.where(empty, 1.0, high))


@dataclass(frozen=True)
class Grouping:
    """Each article's group under one field.

    Attributes
    ----------
    by : str
        The field.
    names : list of str
        Group values, sorted; a code indexes it.
    codes : ndarray of shape (n_articles,)
        Each article's group code, -1 for none.
    """

    by: str
    names: list[str]
    codes: np.ndarray


def groupings(articles: pd.DataFrame, meta: pd.DataFrame, by: Sequence[str],
              periods: np.ndarray) -> list[Grouping]:
    """The groups of ``articles`` (article_id) under each field of ``by``; ``periods`` are
    the articles' periods (the groups of ``published``).

    Raises
    ------
    KeyError
        When a field is neither ``published`` nor a metadata key of any article.
    """
    result = []
    ids = articles["article_id"].astype(str)
    for field in by:
        if field == PUBLISHED:
            values = pd.Series(periods, index=articles.index)
        else:
            rows = meta[meta["key"] == field]
            if rows.empty:
                raise KeyError(field)
            values = ids.map(rows.drop_duplicates("article_id").set_index("article_id")["value"])
        values = values.fillna("").astype(str).to_numpy(dtype=object)
        names = sorted({v for v in values if v})
        position = {name: i for i, name in enumerate(names)}
        codes = np.array([position.get(v, -1) for v in values], dtype=np.int64)
        result.append(Grouping(field, names, codes))
    return result


def metadata_fields(meta: pd.DataFrame) -> list[str]:
    """The fields ``--by`` accepts for this corpus: ``published`` and the metadata keys."""
    return [PUBLISHED, *dict.fromkeys(meta["key"].astype(str))]


def _per_article(sections: pd.DataFrame, article_ids: np.ndarray, values: pd.DataFrame,
                 key: str, weight: str | None, n_outcomes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per article: the summed outcome per code ``key`` over its sections (counts, or sums of
    ``weight``) and the number of its sections with any outcome row (``weight``) or all of
    them (counts: ``weight`` None)."""
    article_index = pd.Index(article_ids)
    section_article = pd.Series(article_index.get_indexer(sections["article_id"]),
                                index=sections["section_id"].to_numpy())
    rows = (section_article.reindex(values["section_id"].to_numpy()).fillna(-1).to_numpy()
            .astype(np.int64))
    keep = rows >= 0
    data = (values[weight].to_numpy(dtype=np.float64) if weight else
            np.ones(len(values)))[keep]
    outcomes = sp.csr_matrix((data, (rows[keep], values[key].to_numpy()[keep])),
                             shape=(len(article_ids), n_outcomes)).toarray()
    if weight is None:
        sizes = np.bincount(section_article.to_numpy(), minlength=len(article_ids))
    else:
        covered = pd.unique(values["section_id"].to_numpy()[keep])
        sizes = np.bincount(section_article.reindex(covered).to_numpy(),
                            minlength=len(article_ids))
    return outcomes, sizes.astype(np.float64)


def _cells(grouping: Grouping, periods: np.ndarray) -> list[tuple[str, np.ndarray, list]]:
    """The (period label, cell codes, cell names) splits of a grouping: the groups over all
    dates, then (unless the field is the period itself) each group in each period."""
    splits = [("", grouping.codes, [(name, "") for name in grouping.names])]
    if grouping.by == PUBLISHED:
        return splits
    dated = (grouping.codes >= 0) & (periods != "")
    if not dated.any():
        return splits
    pairs = sorted({(grouping.names[c], p) for c, p in zip(grouping.codes[dated],
                                                          periods[dated], strict=True)})
    position = {pair: i for i, pair in enumerate(pairs)}
    codes = np.full(len(periods), -1, dtype=np.int64)
    for i in np.flatnonzero(dated):
        codes[i] = position[(grouping.names[grouping.codes[i]], periods[i])]
    splits.append(("period", codes, pairs))
    return splits


def _share_table(groupings_: list[Grouping], periods: np.ndarray, outcomes: np.ndarray,
                 present: np.ndarray, sizes: np.ndarray, outcome_ids: Sequence, id_column: str,
                 table: str, binary: bool) -> pd.DataFrame:
    """Rows of a group table: ``outcomes`` give the shares, ``present`` (per article, its
    sections with the outcome) the counts."""
    frames = []
    for grouping in groupings_:
        for _split, codes, cells in _cells(grouping, periods):
            grouped = codes >= 0
            if not grouped.any():
                continue
            n_cells = len(cells)
            interval = clustered_shares(outcomes[grouped], sizes[grouped], codes[grouped],
                                        n_cells, binary)
            indicator = sp.csr_matrix(
                (np.ones(grouped.sum()), (codes[grouped], np.arange(grouped.sum()))),
                shape=(n_cells, int(grouped.sum())))
            n_articles = indicator @ (present[grouped] > 0).astype(np.float64)
            n_sections = indicator @ present[grouped]
            group_articles = indicator @ (sizes[grouped] > 0).astype(np.float64)
            group_sections = indicator @ sizes[grouped]
            k = len(outcome_ids)
            frames.append(pd.DataFrame({
                "by": grouping.by,
                "group": np.repeat([c[0] for c in cells], k),
                "period": np.repeat([c[1] for c in cells], k),
                id_column: np.tile(np.asarray(outcome_ids, dtype=object), n_cells),
                "n_articles": n_articles.ravel().astype(np.int64),
                "n_sections": n_sections.ravel().round().astype(np.int64),
                "group_articles": np.repeat(group_articles.astype(np.int64), k),
                "group_sections": np.repeat(group_sections.astype(np.int64), k),
                "share": interval.share.ravel().round(DECIMALS),
                "ci_low": interval.low.ravel().round(DECIMALS),
                "ci_high": interval.high.ravel().round(DECIMALS),
            }))
    if not frames:
        return empty_table(table)
    return pd.concat(frames, ignore_index=True)[OUTPUT_COLUMNS[table]]


def group_themes(sections: pd.DataFrame, section_themes: pd.DataFrame, theme_ids: Sequence[str],
                 article_ids: np.ndarray, groupings_: list[Grouping],
                 periods: np.ndarray) -> pd.DataFrame:
    """The ``group_themes`` table: each theme's share of each group's sections.

    Parameters
    ----------
    sections : DataFrame
        section_id, article_id of every section.
    section_themes : DataFrame
        section_id, theme_id of every tag.
    theme_ids : sequence of str
        The taxonomy's themes, in its order (every theme gets a row, tagged or not).
    article_ids : ndarray of shape (n_articles,)
        The articles the groupings' codes refer to.
    groupings_ : list of Grouping
    periods : ndarray of shape (n_articles,)
        Each article's period (``""`` undated).
    """
    codes = pd.Index(list(theme_ids)).get_indexer(section_themes["theme_id"])
    tags = section_themes.assign(code=codes)[codes >= 0]
    outcomes, sizes = _per_article(sections, article_ids, tags, "code", None, len(theme_ids))
    return _share_table(groupings_, periods, outcomes, outcomes, sizes, list(theme_ids),
                        "theme_id", "group_themes", binary=True)


def group_topics(sections: pd.DataFrame, section_topics: pd.DataFrame, topic_ids: Sequence[int],
                 article_ids: np.ndarray, groupings_: list[Grouping],
                 periods: np.ndarray) -> pd.DataFrame:
    """The ``group_topics`` table: each topic's mean weight over each group's sections that
    have topic weights (arguments as :func:`group_themes`; ``topic_ids`` the model's)."""
    topic_ids = [int(t) for t in topic_ids]
    n_topics = len(topic_ids)
    codes = pd.Index(topic_ids).get_indexer(section_topics["topic_id"].astype(np.int64))
    weights = section_topics.assign(code=codes)[codes >= 0]
    outcomes, sizes = _per_article(sections, article_ids, weights, "code", "weight", n_topics)
    counted = weights.assign(weight=1.0)
    with_topic, _ = _per_article(sections, article_ids, counted, "code", "weight", n_topics)
    # n_articles and n_sections count where a topic has any weight.
    table = _share_table(groupings_, periods, outcomes, with_topic, sizes,
                         topic_ids, "topic_id", "group_topics", binary=False)
    return table.astype({"topic_id": "int64"})


def theme_trends(sections: pd.DataFrame, section_themes: pd.DataFrame,
                 theme_ids: Sequence[str], period: str = "month") -> pd.DataFrame:
    """The ``theme_trends`` table: per theme and period, the sections tagged and their share
    of the period's sections (every theme in every dated period)."""
    section_period = section_periods(sections, period).reset_index(drop=True)
    dated = section_period != ""
    if not dated.any() or not len(theme_ids):
        return empty_table("theme_trends")
    per_period = section_period[dated].value_counts().sort_index()
    tag_period = section_themes["section_id"].map(
        pd.Series(section_period.to_numpy(), index=sections["section_id"].to_numpy()))
    tagged = (section_themes.assign(period=tag_period)[tag_period.fillna("") != ""]
              .groupby(["theme_id", "period"]).size())
    grid = pd.MultiIndex.from_product([list(theme_ids), per_period.index],
                                      names=["theme_id", "period"])
    n_sections = tagged.reindex(grid, fill_value=0).to_numpy().astype(np.int64)
    totals = np.tile(per_period.to_numpy(), len(theme_ids)).astype(np.int64)
    return pd.DataFrame({
        "theme_id": grid.get_level_values(0).astype(object),
        "period": grid.get_level_values(1).astype(object),
        "n_sections": n_sections, "period_sections": totals,
        "share": np.round(n_sections / totals, DECIMALS),
    })[OUTPUT_COLUMNS["theme_trends"]]


def log_odds(group: np.ndarray, rest: np.ndarray, n_group: float, n_rest: float,
             prior: np.ndarray, prior_total: float) -> tuple[np.ndarray, np.ndarray]:
    """Monroe et al.'s log-odds ratio with an informative Dirichlet prior and its z-score.

    Parameters
    ----------
    group, rest : ndarray of shape (n_terms,)
        Term counts in the group and in the rest of the corpus.
    n_group, n_rest : float
        Their total counts (over every term).
    prior : ndarray of shape (n_terms,)
        Pseudo-counts ``a_w`` summing to ``prior_total``.

    Returns
    -------
    delta, z : ndarray of shape (n_terms,)
    """
    a = group + prior
    b = rest + prior
    delta = np.log(a / (n_group + prior_total - a)) - np.log(b / (n_rest + prior_total - b))
    return delta, delta / np.sqrt(1.0 / a + 1.0 / b)


def keyness(counts: DocumentTermMatrix, sections: pd.DataFrame, article_ids: np.ndarray,
            groupings_: list[Grouping], section_themes: pd.DataFrame | None = None,
            themes: Sequence[str] = (), top: int = 30) -> pd.DataFrame:
    """The ``keyness`` table: each group's most distinctive terms against the rest.

    Parameters
    ----------
    counts : DocumentTermMatrix
        Raw term counts of shape (n_sections_with_terms, n_terms) (``doc_ids`` section ids).
    sections : DataFrame
        section_id, article_id.
    article_ids, groupings_
        As in :func:`group_themes`.
    section_themes : DataFrame or None
        section_id, theme_id: with ``themes``, also each group's terms in the sections tagged
        with each of ``themes`` (``theme_id`` column; ``""`` for all sections).
    top : int
        Terms kept per group: the highest z-scores above 0, ties by term.
    """
    frames = []
    section_article = pd.Series(pd.Index(article_ids).get_indexer(sections["article_id"]),
                                index=sections["section_id"].to_numpy())
    row_article = section_article.reindex(counts.doc_ids).fillna(-1).to_numpy().astype(np.int64)
    restrictions: list[tuple[str, np.ndarray]] = [("", np.ones(counts.n_documents, bool))]
    for theme in themes:
        tagged = set(section_themes.loc[section_themes["theme_id"] == theme, "section_id"])
        restrictions.append((theme, np.array([d in tagged for d in counts.doc_ids], bool)))
    matrix = counts.matrix.tocsr()
    for theme, rows in restrictions:
        for grouping in groupings_:
            group_of_row = np.where(row_article >= 0, grouping.codes[row_article], -1)
            keep = rows & (group_of_row >= 0)
            if not keep.any():
                continue
            n_groups = len(grouping.names)
            indicator = sp.csr_matrix((np.ones(keep.sum()), (group_of_row[keep],
                                                             np.flatnonzero(keep))),
                                      shape=(n_groups, counts.n_documents))
            by_group = sp.csr_matrix(indicator @ matrix)
            totals = np.asarray(by_group.sum(axis=0)).ravel()
            n_total = totals.sum()
            if n_total == 0:
                continue
            prior = PRIOR_STRENGTH * totals / n_total
            for code, name in enumerate(grouping.names):
                lo, hi = by_group.indptr[code], by_group.indptr[code + 1]
                terms = by_group.indices[lo:hi]
                if not len(terms) or len(grouping.names) < 2:
                    continue
                in_group = by_group.data[lo:hi]
                n_group = in_group.sum()
                delta, z = log_odds(in_group, totals[terms] - in_group, n_group,
                                    n_total - n_group, prior[terms], PRIOR_STRENGTH)
                order = np.lexsort((counts.terms[terms], -z))
                order = order[z[order] > 0][:top]
                frames.append(pd.DataFrame({
                    "by": grouping.by, "group": name, "theme_id": theme,
                    "rank": np.arange(1, len(order) + 1, dtype=np.int64),
                    "term": counts.terms[terms[order]],
                    "count": in_group[order].astype(np.int64),
                    "expected": np.round(n_group * totals[terms[order]] / n_total, DECIMALS),
                    "log_odds_ratio": np.round(delta[order], DECIMALS),
                    "z": np.round(z[order], DECIMALS),
                }))
    if not frames:
        return empty_table("keyness")
    return pd.concat(frames, ignore_index=True)[OUTPUT_COLUMNS["keyness"]]


@dataclass
class ComparisonTables:
    group_themes: pd.DataFrame
    group_topics: pd.DataFrame
    keyness: pd.DataFrame
    theme_trends: pd.DataFrame


def comparison_tables(
    articles: pd.DataFrame, meta: pd.DataFrame, sections: pd.DataFrame,
    section_themes: pd.DataFrame, section_topics: pd.DataFrame, theme_ids: Sequence[str],
    topic_ids: Sequence[int], counts: DocumentTermMatrix | None, by: Sequence[str] = (),
    period: str = "month", keyness_themes: Sequence[str] = (), keyness_top: int = 30,
) -> ComparisonTables:
    """Every table of this stage (the group tables empty without ``by``).

    Parameters
    ----------
    articles : DataFrame
        article_id, published.
    meta : DataFrame
        The ``article_meta`` table.
    sections, section_themes, section_topics : DataFrame
        The tables of those names (sections: section_id, article_id, published).
    theme_ids : sequence of str
        The taxonomy's theme ids.
    topic_ids : sequence of int
        The model's topic ids.
    counts : DocumentTermMatrix or None
        Raw section term counts for ``keyness`` (None: no keyness).
    by : sequence of str
        Grouping fields (see the module docstring).
    period : {'day', 'week', 'month', 'quarter', 'year'}
    keyness_themes : sequence of str
        Themes whose tagged sections get keyness tables of their own.
    keyness_top : int
        Terms per group in ``keyness``.

    Raises
    ------
    KeyError
        For a field of ``by`` that no article has.
    """
    trends = theme_trends(sections, section_themes, theme_ids, period)
    if not by:
        return ComparisonTables(empty_table("group_themes"), empty_table("group_topics"),
                                empty_table("keyness"), trends)
    article_ids = articles["article_id"].astype(str).to_numpy(dtype=object)
    periods = period_labels(articles["published"], period).to_numpy(dtype=object)
    found = groupings(articles, meta, by, periods)
    return ComparisonTables(
        group_themes(sections, section_themes, theme_ids, article_ids, found, periods),
        group_topics(sections, section_topics, topic_ids, article_ids, found, periods),
        keyness(counts, sections, article_ids, found, section_themes, keyness_themes,
                keyness_top) if counts is not None else empty_table("keyness"),
        trends,
    )
