"""manage.py classifier {train,evaluate,predict}: the case-category classifier from the command line.

- ``train [--no-feedback] [--output PATH]``: fit on the shipped corpus plus the categories dispatchers
  confirmed, save the model (default ``settings.GONGZHI_CLASSIFIER_PATH``), report holdout accuracy.
- ``evaluate --input FILE [--model PATH]``: accuracy, per-category table and confusion matrix on a
  labelled CSV/TSV file (header ``category,text``).
- ``predict [--k 3] [--model PATH]``: one text per line on stdin → one JSON line per text on stdout.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from gongzhi.cases import classifier
from gongzhi.cases.choices import Category


class Command(BaseCommand):
    help = "Train, evaluate or run the case-category classifier (案件类别分类器)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{train,evaluate,predict}")

        train = actions.add_parser("train", help="训练模型并保存")
        train.add_argument("--no-feedback", action="store_true", help="不使用调度员确认的类别，仅用内置语料")
        train.add_argument("--output", type=Path, help="模型保存路径（默认 settings.GONGZHI_CLASSIFIER_PATH）")

        evaluate = actions.add_parser("evaluate", help="在带标注的 CSV/TSV 文件上评估模型")
        evaluate.add_argument("--input", type=Path, required=True, help="带表头 category,text 的 CSV 或 TSV 文件")
        evaluate.add_argument("--model", type=Path, help="模型文件（默认 settings.GONGZHI_CLASSIFIER_PATH）")

        predict = actions.add_parser("predict", help="从标准输入逐行读取文本，输出 JSON 行")
        predict.add_argument("--k", type=int, default=3, help="每条文本给出的类别数（默认 3）")
        predict.add_argument("--model", type=Path, help="模型文件（默认 settings.GONGZHI_CLASSIFIER_PATH）")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "train":
            self.train(no_feedback=options["no_feedback"], output=options["output"])
        elif action == "evaluate":
            self.evaluate(source=options["input"], model_path=options["model"])
        else:
            self.predict(k=options["k"], model_path=options["model"], stdin=options.get("stdin") or sys.stdin)

    # ----------------------------------------------------------------------------------------

    def train(self, *, no_feedback: bool, output: Path | None) -> None:
        corpus = classifier.shipped_examples()
        feedback: list[tuple[str, str]] = []
        if no_feedback:
            self.stdout.write("已跳过调度员确认的样本（--no-feedback）。")
        else:
            try:
                rows = classifier.feedback_examples()
            except (DatabaseError, ImportError, LookupError, RuntimeError) as exc:
                # No cases table yet (not migrated) or the cases models are not available.
                self.stderr.write(
                    self.style.WARNING(f"无法读取调度员确认的样本（{type(exc).__name__}: {exc}），仅使用内置语料训练。")
                )
            else:
                feedback = [(c, t) for c, t in rows if c in classifier.CATEGORY_CODES and t and t.strip()]

        model = classifier.train(corpus + feedback)
        path = classifier.save(model, output if output is not None else settings.GONGZHI_CLASSIFIER_PATH)

        self.stdout.write(f"内置语料：{len(corpus)} 条")
        self.stdout.write(f"调度员确认：{len(feedback)} 条")
        self.stdout.write(f"合计：{model.n_examples} 条")
        if feedback:
            per_category = Counter(c for c, _ in feedback)
            self.stdout.write(
                "调度员确认（按类别）："
                + "，".join(f"{code} {per_category[code]}" for code in Category.values if per_category[code])
            )
        report = classifier.evaluate(model, classifier.holdout_examples())
        self.stdout.write(f"holdout accuracy: {report.accuracy:.3f} ({report.n_correct}/{report.n_examples})")
        self.stdout.write(self.style.SUCCESS(f"模型已保存：{path}"))

    def _model(self, model_path: Path | None) -> classifier.Model:
        if model_path is None:
            return classifier.load()
        if not model_path.is_file():
            raise CommandError(f"模型文件不存在：{model_path}")
        try:
            return classifier.read_model(model_path)
        except Exception as exc:
            raise CommandError(f"无法读取模型文件 {model_path}：{exc}") from exc

    def evaluate(self, *, source: Path, model_path: Path | None) -> None:
        try:
            examples = classifier.read_examples(source)
        except classifier.CorpusError as exc:
            message = str(exc) if exc.line is None else f"{source} {exc}"
            raise CommandError(message) from exc
        report = classifier.evaluate(self._model(model_path), examples)
        self.stdout.write(classifier.format_report(report))

    def predict(self, *, k: int, model_path: Path | None, stdin) -> None:
        if k < 1:
            raise CommandError("--k 必须大于等于 1")
        model = self._model(model_path)
        for line in stdin:
            text = line.strip()
            if not text:
                continue
            top = classifier.suggest(text, k=k, model=model)
            self.stdout.write(json.dumps({"text": text, "top": top}, ensure_ascii=False))
