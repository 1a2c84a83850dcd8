#!/usr/bin/env python
"""Benchmark: the case classifier's training time, held-out accuracy and per-text latency.

    .venv/bin/python bench/classifier.py [-n 2000]

Trains on the shipped corpus (classifier/corpus/train.tsv), evaluates on holdout.tsv, then times
`classifier.suggest` over the held-out texts, repeated to `-n` calls: p50 / p95 / p99 / max in ms.
No database is needed.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings.test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="number of timed suggest() calls")
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings

    from gongzhi.cases import classifier

    settings.GONGZHI_CLASSIFIER_PATH = Path(tempfile.mkdtemp()) / "classifier.joblib"
    started = time.perf_counter()
    model = classifier.train(classifier.shipped_examples())
    trained = time.perf_counter() - started
    classifier.save(model, settings.GONGZHI_CLASSIFIER_PATH)
    report = classifier.evaluate(model, classifier.holdout_examples())
    texts = [t for _c, t in classifier.holdout_examples()]
    classifier.suggest(texts[0])
    timings = []
    for i in range(args.n):
        text = texts[i % len(texts)]
        t0 = time.perf_counter()
        classifier.suggest(text)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()

    def pct(p: float) -> float:
        return timings[min(len(timings) - 1, max(0, math.ceil(p / 100 * len(timings)) - 1))]

    print(f"training examples: {len(classifier.shipped_examples())}, held out: {len(texts)}")
    print(f"training time: {trained:.2f} s")
    print(f"held-out accuracy: {report.accuracy:.3f}")
    print(
        f"suggest() over {args.n} calls: mean {statistics.fmean(timings):.3f} ms, p50 {pct(50):.3f} ms, "
        f"p95 {pct(95):.3f} ms, p99 {pct(99):.3f} ms, max {timings[-1]:.3f} ms"
    )


if __name__ == "__main__":
    main()
