"""Saved models: fit once, then process new articles the same way (``jtopics apply``).

A model folder holds everything a run learned or was told that decides its tables: the
tokenizer's stopwords and forced terms, the theme taxonomy (its TOML files as given), the
modelled vocabulary and its IDF, the topics (NMF components), the learned theme model's
parameters, the theme verifier's weights, the corpus furniture blanked in the analysed text
(applying the model blanks the same lines, whatever the new corpus repeats), and the
settings (unit, theme threshold, excluded sentence kinds), with the
versions of jtopics, the dictionary and scikit-learn. Only safe formats: JSON, text files and
one ``.npz`` of plain arrays read with ``allow_pickle=False``; ``model.json`` lists every file
with its SHA-256, checked on load. Loading a model never executes code.

Files::

    model.json        manifest: format, versions, settings, topics, checksums
    vocabulary.json   the modelled terms, in column order
    arrays.npz        idf (n_terms,), components (n_topics, n_terms), topic_ids (n_topics,),
                      learned_log_ratio (n_themes, n_terms), learned_fitted (n_themes,),
                      furniture_lines (n_lines,) uint64, furniture_labels (n_labels,),
                      verifier_* (ThemeVerifier.arrays(); absent without a verifier)
    stopwords.txt     the stopwords the tokenizer used, one a line
    taxonomy/NN.toml  the taxonomy file and its additions, in order
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .errors import JTopicsError
from .furniture import NO_FURNITURE, Furniture
from .themes import SeededNaiveBayes, Taxonomy, ThemeVerifier, load_themes
from .topics import TopicModel
from .vectorize import TermWeights

FORMAT = "jtopics-model"
# 3: the verifier has the "framed" feature (models of format 2 hold one without it).
FORMAT_VERSION = 3
MANIFEST = "model.json"
ARRAYS = "arrays.npz"
VERIFIER_PREFIX = "verifier_"


class ModelError(JTopicsError):
    """A model folder that cannot be loaded: missing, corrupted or incompatible."""

    exit_code = 2


@dataclass
class Settings:
    """The run options a model's tables depend on (apply uses them, not the caller's)."""

    unit: str = "section"
    min_score: float = 0.5
    exclude_kinds: tuple[str, ...] = ()
    top_terms: int = 10
    seed: int = 0
    max_iter: int = 500


@dataclass
class Model:
    """A fitted jtopics model (see the module docstring).

    Attributes
    ----------
    settings : Settings
    stopwords : frozenset of str
        The tokenizer's stopwords.
    terms : tuple of str
        Terms the tokenizer keeps whole.
    taxonomy_sources : list of str
        The taxonomy TOML texts: the taxonomy, then each addition.
    weights : TermWeights
        The vocabulary and its IDF.
    topic_model : TopicModel
        Fitted topics (``components_`` of shape (n_topics, n_terms)).
    learned : SeededNaiveBayes or None
        The learned theme model (None: themes scored on lexical evidence only).
    topics : list of dict
        Per topic: topic_id, label, coherence, stability, status, as fitted.
    topic_ids : list of int
        The id of each topic (row of the components): ``0 … k-1`` when fitted by ``run``,
        the ids of the topics they continue after ``update``.
    versions : dict
        jtopics, dictionary and library versions of the fit.
    furniture : Furniture
        The lines and title labels the fitted corpus repeated (blanked in analysed text).
    verifier : ThemeVerifier or None
        The theme verifier the fit used (None: none).
    """

    settings: Settings
    stopwords: frozenset[str]
    terms: tuple[str, ...]
    taxonomy_sources: list[str]
    weights: TermWeights
    topic_model: TopicModel
    learned: SeededNaiveBayes | None
    topics: list[dict[str, Any]] = field(default_factory=list)
    topic_ids: list[int] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    furniture: Furniture = NO_FURNITURE
    verifier: ThemeVerifier | None = None

    def __post_init__(self) -> None:
        if not self.topic_ids:
            self.topic_ids = list(range(self.topic_model.n_topics_))

    def __repr__(self) -> str:
        return (f"Model({len(self.weights.terms):,} terms, {self.topic_model.n_topics_} topics, "
                f"unit={self.settings.unit!r}, jtopics {self.versions.get('jtopics', '?')})")

    def apply(self, inputs: Any) -> Any:
        """Tag and assign topics to new articles with this model: a
        :class:`~pipeline.api.Result` with the tables :func:`~pipeline.api.run` gives (the
        model's topics; the new articles' sections, themes, topic weights…). Nothing is
        refitted: an article of the fitted corpus gets the topic weights and theme scores it
        had in that run.

        Parameters
        ----------
        inputs : Config, or a path or paths of files, folders or tables
            With a Config, its inputs and its input, output, scale and comparison options are
            used; the tokenizer, taxonomy, vocabulary, topics and theme settings are the
            model's.
        """
        from .api import run
        from .config import Config

        if not isinstance(inputs, Config):
            paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
            inputs = Config(inputs=tuple(str(p) for p in paths))
        return run(inputs, model=self)

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy, parsed from the saved sources."""
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for i, source in enumerate(self.taxonomy_sources):
                path = Path(tmp) / f"{i:02d}.toml"
                path.write_text(source, encoding="utf-8")
                paths.append(path)
            return load_themes(paths[0], tuple(paths[1:]))

    def save(self, folder: Path | str) -> Path:
        """Write the model as ``folder`` (replacing a model folder there), atomically."""
        folder = Path(folder)
        check_model_target(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            self._write(staging)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(staging, 0o777 & ~mask)  # mkdtemp's folder is private
            if folder.exists():
                old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
                os.replace(folder, old)
                os.replace(staging, folder)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, folder)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return folder

    def _write(self, folder: Path) -> None:
        (folder / "taxonomy").mkdir()
        files: dict[str, bytes] = {
            "vocabulary.json": json.dumps([str(t) for t in self.weights.terms],
                                          ensure_ascii=False).encode("utf-8"),
            "stopwords.txt": "".join(f"{w}\n" for w in sorted(self.stopwords)).encode("utf-8"),
        }
        for i, source in enumerate(self.taxonomy_sources):
            files[f"taxonomy/{i:02d}.toml"] = source.encode("utf-8")
        n_terms = len(self.weights.terms)
        learned = self.learned
        arrays = {
            "idf": np.asarray(self.weights.idf, dtype=np.float64),
            "components": np.asarray(self.topic_model.components_, dtype=np.float64),
            "topic_ids": np.asarray(self.topic_ids, dtype=np.int64),
            "learned_log_ratio": (learned.log_ratio_ if learned is not None
                                  else np.zeros((0, n_terms))),
            "learned_fitted": (learned.fitted_ if learned is not None
                               else np.zeros(0, dtype=bool)),
            "furniture_lines": np.array(sorted(self.furniture.lines), dtype=np.uint64),
            "furniture_labels": np.array(sorted(self.furniture.labels), dtype=str),
        }
        if self.verifier is not None:
            arrays.update({f"{VERIFIER_PREFIX}{name}": value
                           for name, value in self.verifier.arrays().items()})
        for name, data in files.items():
            (folder / name).write_bytes(data)
        np.savez(folder / ARRAYS, **arrays)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "versions": {**self.versions, "jtopics": __version__},
            "settings": {**self.settings.__dict__,
                         "exclude_kinds": list(self.settings.exclude_kinds)},
            "terms": list(self.terms),
            "learned": None if learned is None else learned.get_params(),
            "topic_model": self.topic_model.get_params(),
            "topics": self.topics,
            "files": {name: _sha256(folder / name) for name in [*files, ARRAYS]},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                       encoding="utf-8")


def check_model_target(folder: Path | str) -> None:
    """Raise :class:`ModelError` unless ``folder`` can take a saved model (absent, empty, or
    a model folder to replace): checked before a run, so that nothing is half-written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or (
            not (folder / MANIFEST).is_file() and any(folder.iterdir()))):
        raise ModelError(f"--save-model {folder}: exists and is not a model folder; choose "
                         "another folder")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_model(folder: Path | str) -> Model:
    """Read a model folder written by :meth:`Model.save`.

    Raises
    ------
    ModelError
        One line naming the folder (or file) and the problem: not a model folder, a missing or
        corrupted file (checksum mismatch), or a model of another format or dictionary.
    """
    from .tokenize import dictionary_version

    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such model folder")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ModelError(f"{folder}: not a jtopics model folder (no {MANIFEST}; save one with "
                         "run --save-model)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{manifest_path}: corrupted ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{manifest_path}: not a jtopics model manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{folder}: model format {manifest.get('format_version')} from "
                         f"jtopics {manifest.get('versions', {}).get('jtopics', '?')}; this "
                         f"jtopics {__version__} reads format {FORMAT_VERSION} (refit with "
                         "run --save-model)")
    saved_dictionary = manifest.get("versions", {}).get("unidic-lite dictionary")
    if saved_dictionary != dictionary_version():
        raise ModelError(f"{folder}: fitted with dictionary {saved_dictionary}, this machine "
                         f"has {dictionary_version()}: tokens would differ (refit with run "
                         "--save-model)")
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{path}: missing from the model folder")
        if _sha256(path) != digest:
            raise ModelError(f"{path}: checksum mismatch (the file was changed or corrupted)")
    try:
        with np.load(folder / ARRAYS, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        terms = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
        stopwords = (folder / "stopwords.txt").read_text(encoding="utf-8").splitlines()
        sources = [(folder / name).read_text(encoding="utf-8")
                   for name in sorted(manifest["files"]) if name.startswith("taxonomy/")]
        settings = Settings(**{**manifest["settings"],
                               "exclude_kinds": tuple(manifest["settings"]["exclude_kinds"])})
        topic_model = TopicModel(**manifest["topic_model"])
        topic_model.components_ = arrays["components"]
        topic_model.n_topics_ = int(arrays["components"].shape[0])
        learned = None
        if manifest.get("learned") is not None:
            learned = SeededNaiveBayes(**manifest["learned"])
            learned.log_ratio_ = arrays["learned_log_ratio"]
            learned.fitted_ = arrays["learned_fitted"].astype(bool)
        furniture = Furniture(frozenset(int(k) for k in arrays["furniture_lines"]),
                              frozenset(str(label) for label in arrays["furniture_labels"]))
        verifier_arrays = {name[len(VERIFIER_PREFIX):]: value for name, value in arrays.items()
                           if name.startswith(VERIFIER_PREFIX)}
        verifier = (ThemeVerifier.from_arrays(verifier_arrays, folder / ARRAYS)
                    if verifier_arrays else None)
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise ModelError(f"{folder}: corrupted model ({type(exc).__name__}: {exc})") from None
    if (arrays["components"].shape[1] != len(terms) or arrays["idf"].shape != (len(terms),)
            or arrays["topic_ids"].shape != (arrays["components"].shape[0],)):
        raise ModelError(f"{folder}: corrupted model (arrays do not match the vocabulary)")
    return Model(settings=settings, stopwords=frozenset(stopwords), terms=tuple(manifest["terms"]),
                 taxonomy_sources=sources,
                 weights=TermWeights(np.asarray(terms, dtype=object), arrays["idf"]),
                 topic_model=topic_model, learned=learned, topics=manifest.get("topics", []),
                 topic_ids=[int(i) for i in arrays["topic_ids"]],
                 versions=manifest.get("versions", {}), furniture=furniture, verifier=verifier)

