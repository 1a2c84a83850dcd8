"""Case-category classifier: suggests the top categories of a resident's matter from its text.

A scikit-learn pipeline (TF-IDF over character 1–2-grams, which need no Chinese word segmentation,
followed by a multinomial logistic regression) is trained on the labelled corpus shipped in
``corpus/train.tsv`` plus, in production, the categories dispatchers confirmed on real cases
(:func:`feedback_examples`). ``corpus/holdout.tsv`` is never trained on by the shipped model; it
measures accuracy. The trained model lives at ``settings.GONGZHI_CLASSIFIER_PATH``; :func:`load`
caches it per process and reloads it when the file changes, so a retrain in the worker reaches the
web processes. The file is a joblib pickle: it must only ever be written by this module.

Labelling rules of the corpus (the boundary notes of DOMAIN.md area 3, made precise). Keep to them
when confirming categories, or the feedback will teach the model contradictions:

- Elevators: broken, stuck, trapping people, noisy → ``facility``; asking for one to be installed
  (加装电梯) → ``renovation``.
- E-bikes: parked or charged in corridors, stairwells, lifts or homes, flying leads (飞线充电),
  batteries carried upstairs → ``fire_safety``; asking for chargers, charging sheds or cabinets
  (充电桩、充电棚) → ``renovation``.
- Noise: from a neighbour (upstairs, next door, opposite — including a neighbour's own home
  decoration) → ``dispute``; from building sites, road works, demolition, shops, bars, night
  markets → ``urban_order``.
- Vehicles: anything blocking a fire lane, fire exit or fire-engine working area (消防车道、
  消防通道、登高面) → ``fire_safety`` (the hazard wins); every other parking or traffic-order
  matter (occupied spaces, abandoned cars, jams, illegal parking) → ``parking``.
- Things left in shared space: furniture, cardboard, waste paper, gas cylinders in corridors and
  stairwells (blocking escape routes, fuel for a fire) → ``fire_safety``; rubbish heaps, late
  collection, smells, flies, rats, dog dirt → ``sanitation``; street advertising, flyers and
  graffiti (小广告、牛皮癣), illegal structures, street trading, restaurant fumes → ``urban_order``.
- Fire equipment missing or defective (extinguishers, hydrants, emergency lights, fire doors) and
  gas leaks, old wiring → ``fire_safety``, not ``facility``.
- Property: a named broken thing → ``facility`` even when the complaint is that the property company
  is slow; fees, accounts and public income, service quality, guards and cleaners, owners' committees
  and assemblies, maintenance funds, changing the company → ``property_service``.
- People: violence, theft, fraud, suspicious persons, things thrown from height, domestic violence
  → ``public_security``; quarrels and standing grievances between neighbours or relatives →
  ``dispute``.
- Help: an elderly person not seen for days, care, meals, childcare, disability support, relief for
  a family in hardship → ``welfare``; asking what the rules are or how to apply (低保、医保、社保、
  落户、居住证、证明) → ``policy``.
- ``other`` is genuinely outside the taxonomy: lost pets and property, thanks, suggestions for
  community activities, broadband and phone signal, the app itself.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
import threading
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

import joblib
import numpy as np
import sklearn
from django.conf import settings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.pipeline import Pipeline

from gongzhi.cases.choices import Category

__all__ = [
    "CategoryScore",
    "CorpusError",
    "Model",
    "Report",
    "Suggestion",
    "evaluate",
    "feedback_examples",
    "format_report",
    "holdout_examples",
    "load",
    "read_examples",
    "read_model",
    "save",
    "shipped_examples",
    "suggest",
    "train",
]

logger = logging.getLogger(__name__)

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
TRAIN_PATH = CORPUS_DIR / "train.tsv"
HOLDOUT_PATH = CORPUS_DIR / "holdout.tsv"

#: Bumped when the pickled :class:`Model` changes shape; older files are retrained.
MODEL_VERSION = 1

CATEGORY_CODES: tuple[str, ...] = tuple(Category.values)

Example = tuple[str, str]
"""A labelled example: (category code, text)."""


class Suggestion(TypedDict):
    """One suggested category with its probability (rounded to 4 decimals)."""

    category: str
    score: float


class CorpusError(ValueError):
    """A labelled file could not be read; the message (in Chinese) names the line and the reason."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class Model:
    """A trained classifier: the scikit-learn pipeline and how it was made."""

    pipeline: Pipeline
    n_examples: int
    trained_at: datetime
    version: int = MODEL_VERSION
    sklearn_version: str = field(default=sklearn.__version__)
    _fast: _FastScorer | None = field(default=None, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_fast"] = None  # derived; rebuilt on first use
        return state

    @property
    def categories(self) -> list[str]:
        """The category codes the model knows, in the column order of :meth:`predict_proba`."""
        return [str(c) for c in self.pipeline.classes_]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per text, columns in :attr:`categories` order."""
        return self.pipeline.predict_proba(list(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable category code of each text."""
        return [str(c) for c in self.pipeline.predict(list(texts))]

    def proba_one(self, text: str) -> np.ndarray:
        """``predict_proba([text])[0]`` without scikit-learn's per-call overhead (used by :func:`suggest`)."""
        if self._fast is None:
            self._fast = _FastScorer(self.pipeline)
        return self._fast(text)


class _FastScorer:
    """The pipeline's arithmetic for one text: TF-IDF (sublinear tf, l2 norm) then softmax(x·Wᵀ + b).

    Scikit-learn's validation and sparse-matrix machinery cost about a millisecond per call; this
    does the same computation in tens of microseconds. A test checks it agrees with the pipeline.
    """

    def __init__(self, pipeline: Pipeline):
        vectorizer: TfidfVectorizer = pipeline.named_steps["tfidf"]
        classifier: LogisticRegression = pipeline.named_steps["clf"]
        if not (vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2"):
            raise ValueError("unsupported vectorizer settings")
        self.analyse = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf: np.ndarray = vectorizer.idf_
        self.weights: np.ndarray = np.ascontiguousarray(classifier.coef_.T)  # (n_features, n_classes)
        self.intercept: np.ndarray = classifier.intercept_

    def __call__(self, text: str) -> np.ndarray:
        vocabulary = self.vocabulary
        counts = {vocabulary[g]: n for g, n in Counter(self.analyse(text)).items() if g in vocabulary}
        logits = self.intercept.copy()
        if counts:
            indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(tf)) * self.idf[indices]
            values /= np.sqrt(values @ values)
            logits += values @ self.weights[indices]
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()


@dataclass
class CategoryScore:
    """Precision, recall and F1 of one category over an evaluation set."""

    category: str
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    """The outcome of :func:`evaluate`. ``confusion[i][j]`` counts examples of ``labels[i]``
    predicted as ``labels[j]``; labels are in :class:`Category` order."""

    accuracy: float
    n_examples: int
    n_correct: int
    per_category: list[CategoryScore]
    labels: list[str]
    confusion: list[list[int]]


# --------------------------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------------------------


def _normalise_category(value: str) -> str | None:
    """A category code from a code (any case) or its Chinese label; None if it is neither."""
    value = value.strip()
    if value.lower() in CATEGORY_CODES:
        return value.lower()
    # Labels are lazy translations: resolve them now (in the active language), not at import time.
    return next((code for code, label in Category.choices if str(label) == value), None)


def _delimiter(path: Path, sample: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        return "\t"
    if suffix == ".csv":
        return ","
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        return "\t" if "\t" in sample.partition("\n")[0] else ","


def read_examples(path: str | os.PathLike[str]) -> list[Example]:
    """Read a labelled CSV or TSV file with the header ``category,text`` into (category, text) pairs.

    The delimiter follows the extension (``.csv`` comma, ``.tsv`` tab) or is sniffed. Other columns
    are ignored; blank lines are skipped; a category may be given as its code or its Chinese label.
    Raises :class:`CorpusError` (a ``ValueError``) naming the line and the reason, e.g.
    ``第 12 行：未知的类别代码 “foo”``.
    """
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CorpusError(f"文件不存在：{path}") from None
    except IsADirectoryError:
        raise CorpusError(f"不是文件：{path}") from None
    except UnicodeDecodeError as exc:
        raise CorpusError(f"文件不是 UTF-8 编码：{path}（第 {exc.start} 字节）") from None
    except OSError as exc:
        raise CorpusError(f"无法读取文件 {path}：{exc.strerror or exc}") from None

    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(path, content[:4096]))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise CorpusError("文件为空：第一行应为表头 category,text", line=1)
        names = [cell.strip().lower() for cell in header]
        if "category" not in names or "text" not in names:
            raise CorpusError(
                f"第 {reader.line_num} 行：表头应包含 category 和 text 两列，实际为 “{'、'.join(header)}”",
                line=reader.line_num,
            )
        cat_col, text_col = names.index("category"), names.index("text")

        examples: list[Example] = []
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(cat_col, text_col):
                raise CorpusError(f"第 {start} 行：列数不足，缺少 category 或 text 列", line=start)
            raw_category, text = row[cat_col].strip(), row[text_col].strip()
            if not raw_category:
                raise CorpusError(f"第 {start} 行：类别代码为空", line=start)
            category = _normalise_category(raw_category)
            if category is None:
                raise CorpusError(f"第 {start} 行：未知的类别代码 “{raw_category}”", line=start)
            if not text:
                raise CorpusError(f"第 {start} 行：文本为空", line=start)
            examples.append((category, text))
    except csv.Error as exc:
        raise CorpusError(f"第 {reader.line_num} 行：格式错误（{exc}）", line=reader.line_num) from None
    if not examples:
        raise CorpusError(f"文件中没有样本：{path}")
    return examples


def shipped_examples() -> list[Example]:
    """The training corpus shipped with the project (``corpus/train.tsv``)."""
    return read_examples(TRAIN_PATH)


def holdout_examples() -> list[Example]:
    """The shipped evaluation set (``corpus/holdout.tsv``), disjoint from the training corpus."""
    return read_examples(HOLDOUT_PATH)


def feedback_examples() -> list[Example]:
    """The categories dispatchers confirmed on real cases: (category, description) pairs."""
    from gongzhi.cases.models import Case  # lazy: the classifier must import without the ORM

    return list(Case.objects.filter(category_confirmed=True).values_list("category", "description"))


# --------------------------------------------------------------------------------------------
# Training and persistence
# --------------------------------------------------------------------------------------------


def _pipeline() -> Pipeline:
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)),
            ("clf", LogisticRegression(C=10.0, solver="newton-cg", max_iter=1000, random_state=0)),
        ]
    )


def train(examples: Iterable[Example]) -> Model:
    """Fit a model on (category, text) pairs. Deterministic: the same examples give the same model.

    Blank texts are skipped; an unknown category code raises ``ValueError``.
    """
    categories: list[str] = []
    texts: list[str] = []
    for category, text in examples:
        text = (text or "").strip()
        if not text:
            continue
        if category not in CATEGORY_CODES:
            raise ValueError(f"未知的类别代码 “{category}”")
        categories.append(category)
        texts.append(text)
    if len(set(categories)) < 2:
        raise ValueError("训练样本至少需要两个类别")
    pipeline = _pipeline().fit(texts, categories)
    return Model(pipeline=pipeline, n_examples=len(texts), trained_at=datetime.now(UTC))


_lock = threading.RLock()  # re-entrant: load() saves while holding it
# Resolved path → (file signature, model). The signature is None when the model could not be saved.
_cache: dict[Path, tuple[tuple[int, int, int] | None, Model]] = {}


def _signature(path: Path) -> tuple[int, int, int] | None:
    """Identity of the file's current content: (inode, mtime in ns, size); None if it is missing.

    :func:`save` replaces the file, so a new inode and mtime mean a new model."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _key(path: str | os.PathLike[str]) -> Path:
    """The cache key of a model path: absolute, without resolving symlinks (cheap on the hot path)."""
    return Path(os.path.abspath(path))


def _settings_path() -> Path:
    return Path(settings.GONGZHI_CLASSIFIER_PATH)


def save(model: Model, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the model atomically (temporary file in the same directory, then ``os.replace``).

    Creates the directory. ``path`` defaults to ``settings.GONGZHI_CLASSIFIER_PATH``. Returns the path.
    """
    target = Path(path) if path is not None else _settings_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            joblib.dump(model, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    with _lock:
        _cache[_key(target)] = (_signature(target), model)
    return target


def read_model(path: str | os.PathLike[str]) -> Model:
    """Read a saved model strictly, without the cache or any fallback.

    Raises ``OSError`` if the file cannot be read, ``TypeError`` if it is not a current model, and
    whatever unpickling raises if it is corrupt. :func:`load` is the forgiving, cached entry point.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # InconsistentVersionWarning: handled by the version check below
        model = joblib.load(path)
    if not isinstance(model, Model):
        raise TypeError(f"not a classifier model: {type(model).__name__}")
    if model.version != MODEL_VERSION or model.sklearn_version != sklearn.__version__:
        raise TypeError(
            f"stale model (format {model.version}, scikit-learn {model.sklearn_version}; "
            f"expected {MODEL_VERSION}, {sklearn.__version__})"
        )
    return model


def _train_and_save_fallback(path: Path) -> tuple[tuple[int, int, int] | None, Model]:
    model = train(shipped_examples())
    try:
        save(model, path)
    except OSError as exc:
        logger.warning("Could not save the classifier to %s (%s); keeping it in memory only.", path, exc)
    return _signature(path), model


def load(path: str | os.PathLike[str] | None = None) -> Model:
    """The model at ``path`` (default ``settings.GONGZHI_CLASSIFIER_PATH``), cached per process.

    Thread-safe. The file is re-read when it changes (another process retrained). If it does not
    exist, a model is trained from :func:`shipped_examples` and saved there; if it is unreadable,
    corrupt or stale, the same happens and a warning is logged — intake never fails for it.
    """
    target = _key(path if path is not None else _settings_path())
    cached = _cache.get(target)
    if cached is not None and cached[0] == _signature(target):
        return cached[1]  # fast path: one stat() call, no lock
    with _lock:  # one thread reads or trains; the others wait and then find it cached
        signature = _signature(target)
        cached = _cache.get(target)
        if cached is not None and cached[0] == signature:
            return cached[1]
        if signature is None:
            logger.info("No classifier at %s; training one from the shipped corpus.", target)
            entry = _train_and_save_fallback(target)
        else:
            try:
                entry = (signature, read_model(target))
            except Exception as exc:
                logger.warning(
                    "The classifier at %s is unreadable (%s); retraining from the shipped corpus. "
                    "Run `manage.py classifier train` to include the dispatchers' feedback.",
                    target,
                    exc,
                )
                entry = _train_and_save_fallback(target)
        _cache[target] = entry
        return entry[1]


def suggest(text: str, k: int = 3, *, model: Model | None = None) -> list[Suggestion]:
    """The ``k`` most probable categories of ``text``, most probable first; [] for blank text.

    Uses :func:`load` unless a ``model`` is given. About 0.1 ms per call once the model is loaded.
    """
    if not text or not text.strip():
        return []
    if k < 1:
        raise ValueError("k must be at least 1")
    if model is None:
        model = load()
    probabilities = model.proba_one(text.strip())
    order = np.argsort(-probabilities, kind="stable")[:k]
    categories = model.pipeline.classes_
    return [Suggestion(category=str(categories[i]), score=round(float(probabilities[i]), 4)) for i in order]


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def evaluate(model: Model, examples: Sequence[Example]) -> Report:
    """Accuracy, per-category precision/recall/F1/support and the confusion matrix on ``examples``."""
    if not examples:
        raise ValueError("没有可评估的样本")
    truth = [category for category, _ in examples]
    predicted = model.predict([text for _, text in examples])
    labels = list(CATEGORY_CODES)
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    matrix = confusion_matrix(truth, predicted, labels=labels)
    n_correct = sum(t == p for t, p in zip(truth, predicted, strict=True))
    return Report(
        accuracy=n_correct / len(truth),
        n_examples=len(truth),
        n_correct=n_correct,
        per_category=[
            CategoryScore(
                category=code,
                label=str(Category(code).label),
                precision=float(precision[i]),
                recall=float(recall[i]),
                f1=float(f1[i]),
                support=int(support[i]),
            )
            for i, code in enumerate(labels)
        ],
        labels=labels,
        confusion=matrix.tolist(),
    )


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _rjust(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def format_report(report: Report) -> str:
    """The report as aligned plain text: accuracy, the per-category table, the confusion matrix."""
    names = [f"{s.category} {s.label}" for s in report.per_category]
    name_width = max(_width(n) for n in names) + 2
    lines = [
        f"accuracy: {report.accuracy:.3f} ({report.n_correct}/{report.n_examples})",
        f"准确率：{report.accuracy:.1%}（{report.n_examples} 条样本，正确 {report.n_correct} 条）",
        "",
        _ljust("类别", name_width) + "".join(_rjust(h, 10) for h in ("精确率", "召回率", "F1", "样本数")),
    ]
    for name, s in zip(names, report.per_category, strict=True):
        lines.append(
            _ljust(name, name_width)
            + f"{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>10.3f}"
            + _rjust(str(s.support), 10)
        )
    # Confusion matrix: columns headed by the first two characters of each label (all distinct).
    short = [s.label[:2] for s in report.per_category]
    cell = max(6, max(_width(h) for h in short) + 2)
    lines += [
        "",
        "混淆矩阵（行：实际类别；列：预测类别）",
        _ljust("", name_width) + "".join(_rjust(h, cell) for h in short),
    ]
    for name, row in zip(names, report.confusion, strict=True):
        lines.append(_ljust(name, name_width) + "".join(_rjust(str(v) if v else ".", cell) for v in row))
    return "\n".join(lines)
