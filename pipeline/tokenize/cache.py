"""The on-disk token cache, keyed by text hash, dictionary version and tokenizer options."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .mecab import dictionary_version
from .tokenizer import Tokenizer


class TokenCache:
    """On-disk tokens keyed by text hash, dictionary version and tokenizer options.

    Tokens of each text live in one of 256 Parquet shards (by the first byte of the text's
    SHA-256), under a folder named for the dictionary version and the tokenizer's options, so a
    change of either never returns stale tokens. Shards are rewritten atomically.
    """

    def __init__(self, root: Path, tokenizer: Tokenizer) -> None:
        self.folder = Path(root) / f"unidic-{dictionary_version()}-{tokenizer.options_key}"

    def _corpus_path(self, keys: Sequence[str]) -> Path:
        import hashlib

        digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
        return self.folder / "corpora" / f"{digest}.arrow"

    def load_corpus(self, keys: Sequence[str]) -> pa.Table | None:
        """Tokens of exactly this sequence of texts, as stored by :meth:`store_corpus`: a
        re-run on the same inputs reads one file."""
        import pyarrow.feather as feather

        path = self._corpus_path(keys)
        try:
            return feather.read_table(path, memory_map=True) if path.exists() else None
        except (OSError, pa.ArrowInvalid):
            return None

    def store_corpus(self, keys: Sequence[str], table: pa.Table) -> None:
        import pyarrow.feather as feather

        path = self._corpus_path(keys)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp-{os.getpid()}")
        # Uncompressed Arrow, memory-mapped on read: a re-run costs about a millisecond.
        feather.write_feather(table, tmp, compression="uncompressed")
        os.replace(tmp, path)

    @staticmethod
    def key(text: str) -> str:
        import hashlib

        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def load(self, keys: Iterable[str]) -> dict[str, pa.Table]:
        """Cached token tables (without ``doc``) for the keys that are present."""
        import pyarrow.parquet as pq

        wanted: dict[str, set[str]] = {}
        for key in keys:
            wanted.setdefault(key[:2], set()).add(key)
        found: dict[str, pa.Table] = {}
        for shard, shard_keys in wanted.items():
            path = self.folder / f"{shard}.parquet"
            if not path.exists():
                continue
            try:
                table = pq.read_table(path)
            except (OSError, pa.ArrowInvalid):
                continue  # a damaged shard is a cache miss, and is rewritten below
            table = table.filter(pc.is_in(table["key"], pa.array(sorted(shard_keys))))
            if not table.num_rows:
                continue
            table = table.sort_by([("key", "ascending"), ("position", "ascending")])
            key_col = table["key"].to_numpy(zero_copy_only=False)
            bounds = np.r_[0, np.flatnonzero(key_col[1:] != key_col[:-1]) + 1, len(key_col)]
            for lo, hi in itertools.pairwise(bounds):
                found[str(key_col[lo])] = table.slice(lo, hi - lo).drop(["key"])
        return found

    def store(self, tables: dict[str, pa.Table]) -> None:
        """Add token tables (without ``doc``) keyed by text hash."""
        import pyarrow.parquet as pq

        by_shard: dict[str, list[pa.Table]] = {}
        for key, table in tables.items():
            keyed = table.append_column("key", pa.array([key] * table.num_rows, pa.string()))
            by_shard.setdefault(key[:2], []).append(keyed)
        if not by_shard:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for shard, parts in by_shard.items():
            path = self.folder / f"{shard}.parquet"
            if path.exists():
                try:
                    old = pq.read_table(path)
                    new_keys = pa.array(sorted({k for p in parts for k in
                                                p["key"].unique().to_pylist()}))
                    parts = [old.filter(pc.invert(pc.is_in(old["key"], new_keys))), *parts]
                except (OSError, pa.ArrowInvalid):
                    pass
            tmp = path.with_suffix(f".tmp-{os.getpid()}")
            pq.write_table(pa.concat_tables(parts, promote_options="default"), tmp)
            os.replace(tmp, path)


def tokenize_cached(texts: Sequence[str], tokenizer: Tokenizer, cache: Path | None = None,
                    shards: bool = True) -> pa.Table:
    """Tokens of every text, reusing and filling the on-disk cache when ``cache`` is set
    (with ``shards=False`` only as a whole sequence: many chunks written concurrently would
    otherwise rewrite the same shards over and over)."""
    if cache is None:
        return tokenizer.tokenize_texts(texts)
    store = TokenCache(cache, tokenizer)
    keys = [TokenCache.key(t) for t in texts]
    corpus = store.load_corpus(keys)
    if corpus is not None:
        return corpus
    if not shards:
        result = tokenizer.tokenize_texts(texts)
        with contextlib.suppress(OSError):  # an unwritable cache only costs speed next time
            store.store_corpus(keys, result)
        return result
    found = store.load(keys)
    missing = [i for i, k in enumerate(keys) if k not in found]
    fresh: dict[str, pa.Table] = {}
    if missing:
        unique_missing = list(dict.fromkeys(keys[i] for i in missing))
        first_index = {k: keys.index(k) for k in unique_missing}
        table = tokenizer.tokenize_texts([texts[first_index[k]] for k in unique_missing])
        doc = table["doc"].to_numpy()
        bounds = np.searchsorted(doc, np.arange(len(unique_missing) + 1))
        for j, key in enumerate(unique_missing):
            fresh[key] = table.slice(bounds[j], bounds[j + 1] - bounds[j]).drop(["doc"])
        with contextlib.suppress(OSError):  # an unwritable cache only costs speed next time
            store.store(fresh)
    parts = []
    for i, key in enumerate(keys):
        part = found.get(key) or fresh[key]
        parts.append(part.add_column(0, "doc", pa.array(np.full(part.num_rows, i, np.int64))))
    if not parts:
        return tokenizer.tokenize_texts([])
    result = pa.concat_tables(parts)
    with contextlib.suppress(OSError):  # as above: the tokens are right either way
        store.store_corpus(keys, result)
    return result
