"""The case-category classifier: corpus, model, persistence and the `classifier` management command."""

import io
import json
import logging
import os
import threading
from collections import Counter

import joblib
import numpy as np
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError

from gongzhi.cases import classifier
from gongzhi.cases.choices import Category
from gongzhi.cases.management.commands.classifier import Command

CODES = list(Category.values)


@pytest.fixture(scope="module")
def model():
    return classifier.train(classifier.shipped_examples())


@pytest.fixture
def model_path(model, settings, tmp_path):
    """The settings path points at a temporary file holding the shipped model."""
    path = tmp_path / "models" / "classifier.joblib"
    settings.GONGZHI_CLASSIFIER_PATH = path
    classifier.save(model, path)
    return path


def run(*args, **options):
    """call_command by name once the cases app is registered; until then, with the command object."""
    command = "classifier" if apps.is_installed("gongzhi.cases") else Command()
    return call_command(command, *args, **options)


# --- the shipped corpus -----------------------------------------------------------------------


def test_corpus_sizes_and_categories():
    train = Counter(c for c, _ in classifier.shipped_examples())
    holdout = Counter(c for c, _ in classifier.holdout_examples())
    assert set(train) == set(CODES) == set(holdout)
    assert min(train.values()) >= 70
    assert min(holdout.values()) >= 20
    assert sum(train.values()) + sum(holdout.values()) >= 1080


def test_corpus_files_are_disjoint_and_without_near_duplicates():
    train = [t for _, t in classifier.shipped_examples()]
    holdout = [t for _, t in classifier.holdout_examples()]
    assert len(set(train)) == len(train)
    assert len(set(holdout)) == len(holdout)
    assert not set(train) & set(holdout)

    def bigrams(text):
        return {text[i : i + 2] for i in range(len(text) - 1)}

    train_grams = [bigrams(t) for t in train]
    for text in holdout:
        grams = bigrams(text)
        closest = max(len(grams & other) / len(grams | other) for other in train_grams)
        assert closest < 0.6, text


# --- the model --------------------------------------------------------------------------------


def test_holdout_accuracy_is_at_least_90_percent(model):
    report = classifier.evaluate(model, classifier.holdout_examples())
    assert report.n_examples == 250
    assert report.accuracy >= 0.90
    assert report.accuracy == pytest.approx(report.n_correct / report.n_examples)


def test_evaluate_report_shape(model):
    examples = classifier.holdout_examples()
    report = classifier.evaluate(model, examples)
    assert report.labels == CODES
    assert [s.category for s in report.per_category] == CODES
    assert len(report.confusion) == 12 and all(len(row) == 12 for row in report.confusion)
    assert sum(map(sum, report.confusion)) == len(examples)
    assert sum(report.confusion[i][i] for i in range(12)) == report.n_correct
    assert [s.support for s in report.per_category] == [sum(row) for row in report.confusion]
    assert all(0 <= s.precision <= 1 and 0 <= s.recall <= 1 and 0 <= s.f1 <= 1 for s in report.per_category)

    text = classifier.format_report(report)
    first = text.splitlines()[0]
    assert first.startswith("accuracy: ")
    assert float(first.split()[1]) == pytest.approx(report.accuracy, abs=5e-4)
    assert "fire_safety 消防与安全隐患" in text
    assert "混淆矩阵" in text


def test_evaluate_rejects_no_examples(model):
    with pytest.raises(ValueError):
        classifier.evaluate(model, [])


def test_suggest_returns_three_valid_codes_sorted(model_path):
    result = classifier.suggest("三单元的电梯又坏了，老人上不去，物业电话打不通")
    assert len(result) == 3
    assert all(set(s) == {"category", "score"} for s in result)
    assert all(s["category"] in CODES for s in result)
    assert len({s["category"] for s in result}) == 3
    scores = [s["score"] for s in result]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(x, float) and 0 < x <= 1 and round(x, 4) == x for x in scores)
    assert result[0]["category"] == "facility"


def test_suggest_k(model_path):
    assert len(classifier.suggest("楼下垃圾好几天没人收了", k=1)) == 1
    everything = classifier.suggest("楼下垃圾好几天没人收了", k=50)
    assert len(everything) == 12
    assert sum(s["score"] for s in everything) == pytest.approx(1, abs=1e-3)
    with pytest.raises(ValueError):
        classifier.suggest("楼下垃圾好几天没人收了", k=0)


@pytest.mark.parametrize("text", ["", "   ", "\n\t　"])
def test_suggest_blank_text_is_empty(text, model_path):
    assert classifier.suggest(text) == []


# Fresh sentences (not in the corpus) on each side of the boundaries DOMAIN.md names, and a few more.
BOUNDARIES = [
    ("facility", "5号楼的电梯卡在七楼不动了，门也打不开"),
    ("renovation", "我们这栋老楼六层没有电梯，想申请加装一部，大家都愿意出钱"),
    ("fire_safety", "四楼有人把电瓶车推到楼道里充电，插线板就放在楼梯口"),
    ("fire_safety", "有人从三楼窗户飞线下来给电动车充电，电线拖在地上"),
    ("renovation", "小区停电动车的地方一个充电桩都没有，希望能安装一批"),
    ("dispute", "楼上邻居每天半夜拖桌子，咣咣响，跟他说了也没用"),
    ("urban_order", "马路对面的建筑工地凌晨两点还在浇筑，施工噪音太大"),
    ("welfare", "对门的李大爷一个人住，已经三天没看到他了，电话也没人接"),
    ("fire_safety", "有辆白色轿车把消防通道堵死了，停了两天"),
    ("parking", "我的车位被一辆外地车占了，打电话也不接"),
    ("sanitation", "小区的垃圾两天没人清运了，臭得很"),
    ("urban_order", "单元门口贴满了开锁办证的小广告"),
    ("property_service", "物业费又涨了，服务一点没变好"),
    ("policy", "请问灵活就业的人怎么交医保"),
    ("public_security", "我的电动车昨晚在楼下被偷了"),
    ("other", "我家的小狗走丢了，棕色的泰迪，有人看到吗"),
]


@pytest.mark.parametrize(("expected", "text"), BOUNDARIES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(BOUNDARIES)])
def test_boundary_cases(expected, text, model):
    corpus = {t for _, t in classifier.shipped_examples() + classifier.holdout_examples()}
    assert text not in corpus
    assert classifier.suggest(text, model=model)[0]["category"] == expected


def test_fast_path_matches_the_pipeline(model):
    texts = [t for _, t in classifier.holdout_examples()[:60]] + ["完全没有见过的字：龘靐齉", "x"]
    expected = model.predict_proba(texts)
    actual = np.array([model.proba_one(t) for t in texts])
    np.testing.assert_allclose(actual, expected, atol=1e-9)


def test_train_is_deterministic_and_validates():
    sample = classifier.shipped_examples()[::6]
    first, second = classifier.train(sample), classifier.train(sample)
    np.testing.assert_array_equal(first.pipeline[-1].coef_, second.pipeline[-1].coef_)
    assert first.n_examples == len(sample)
    assert classifier.train([*sample, ("dispute", "   ")]).n_examples == len(sample)
    with pytest.raises(ValueError, match="foo"):
        classifier.train([*sample, ("foo", "一条文本")])
    with pytest.raises(ValueError):
        classifier.train([("dispute", "楼上吵"), ("dispute", "隔壁吵")])


# --- persistence ------------------------------------------------------------------------------


def test_save_load_round_trip(model, tmp_path):
    path = tmp_path / "a" / "b" / "model.joblib"
    assert classifier.save(model, path) == path
    assert os.listdir(path.parent) == ["model.joblib"]  # no temporary file left behind
    classifier._cache.clear()
    loaded = classifier.load(path)
    assert isinstance(loaded, classifier.Model)
    assert loaded is not model
    assert loaded.n_examples == model.n_examples
    assert sorted(loaded.categories) == sorted(CODES)
    text = "楼道里堆满了纸箱子，还有人在那充电"
    assert classifier.suggest(text, model=loaded) == classifier.suggest(text, model=model)
    assert classifier.load(path) is loaded  # cached


def test_load_reloads_when_the_file_changes(model, tmp_path):
    path = tmp_path / "model.joblib"
    classifier.save(model, path)
    assert classifier.load(path) is model

    # Another process retrains: a new file replaces the old one.
    other = classifier.train(classifier.shipped_examples()[::4])
    tmp = tmp_path / "other.tmp"
    joblib.dump(other, tmp)
    os.replace(tmp, path)
    reloaded = classifier.load(path)
    assert reloaded is not model
    assert reloaded.n_examples == other.n_examples

    # Same content, newer mtime: read again.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    again = classifier.load(path)
    assert again is not reloaded
    assert again.n_examples == other.n_examples


def test_load_defaults_to_settings_and_trains_when_missing(settings, tmp_path):
    path = tmp_path / "new-dir" / "classifier.joblib"
    settings.GONGZHI_CLASSIFIER_PATH = path
    loaded = classifier.load()
    assert path.is_file()
    assert loaded.n_examples == len(classifier.shipped_examples())
    assert classifier.load() is loaded
    assert classifier.suggest("楼上天天半夜剁肉")[0]["category"] == "dispute"


def test_corrupt_file_falls_back_to_the_shipped_corpus(settings, tmp_path, caplog):
    path = tmp_path / "classifier.joblib"
    path.write_bytes(b"this is not a pickle")
    settings.GONGZHI_CLASSIFIER_PATH = path
    with caplog.at_level(logging.WARNING, logger="gongzhi.cases.classifier"):
        result = classifier.suggest("楼道里有人飞线给电动车充电")
    assert result[0]["category"] == "fire_safety"
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    assert isinstance(classifier.read_model(path), classifier.Model)  # repaired on disk


def test_wrong_object_in_the_file_falls_back(tmp_path, caplog):
    path = tmp_path / "classifier.joblib"
    joblib.dump({"not": "a model"}, path)
    with caplog.at_level(logging.WARNING, logger="gongzhi.cases.classifier"):
        loaded = classifier.load(path)
    assert isinstance(loaded, classifier.Model)
    assert caplog.records


def test_concurrent_loads_train_once(tmp_path, monkeypatch):
    sample = classifier.shipped_examples()[::5]
    monkeypatch.setattr(classifier, "shipped_examples", lambda: sample)
    calls = []
    real_train = classifier.train

    def counting_train(examples):
        calls.append(1)
        return real_train(examples)

    monkeypatch.setattr(classifier, "train", counting_train)
    path = tmp_path / "classifier.joblib"
    results = []
    threads = [threading.Thread(target=lambda: results.append(classifier.load(path))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 6 and all(r is results[0] for r in results)


# --- reading labelled files -------------------------------------------------------------------


def test_read_examples_tsv_csv_and_sniffed(tmp_path):
    tsv = tmp_path / "a.tsv"
    tsv.write_text("category\ttext\nparking\t车位被占了\n\nsanitation\t垃圾没人收\n", encoding="utf-8")
    assert classifier.read_examples(tsv) == [("parking", "车位被占了"), ("sanitation", "垃圾没人收")]

    csv_file = tmp_path / "b.csv"
    csv_file.write_text('\ufefftext,category\n"楼上吵,天天吵",DISPUTE\n路灯坏了,设施损坏\n', encoding="utf-8")
    assert classifier.read_examples(csv_file) == [("dispute", "楼上吵,天天吵"), ("facility", "路灯坏了")]

    txt = tmp_path / "c.txt"
    txt.write_text("category\ttext\nother\t谢谢网格员\n", encoding="utf-8")
    assert classifier.read_examples(txt) == [("other", "谢谢网格员")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("category\ttext\nparking\t车位被占了\nfoo\t一条文本\n", "第 3 行：未知的类别代码 “foo”"),
        ("category\ttext\nparking\t车位被占了\n\nwelfare\t  \n", "第 4 行：文本为空"),
        ("category\ttext\n\tsome text\n", "第 2 行：类别代码为空"),
        ("category\ttext\nparking\n", "第 2 行：列数不足"),
        ("label\tsentence\nparking\t车位被占了\n", "第 1 行：表头应包含 category 和 text"),
        ("", "文件为空"),
        ("category\ttext\n\n", "没有样本"),
    ],
)
def test_read_examples_errors_name_the_line(tmp_path, content, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        classifier.read_examples(path)


def test_read_examples_error_carries_line_number(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("category\ttext\n" + "parking\t车位被占了\n" * 10 + "nope\t文本\n", encoding="utf-8")
    with pytest.raises(classifier.CorpusError) as info:
        classifier.read_examples(path)
    assert info.value.line == 12
    assert str(info.value) == "第 12 行：未知的类别代码 “nope”"


def test_read_examples_missing_and_undecodable_files(tmp_path):
    with pytest.raises(ValueError, match="文件不存在"):
        classifier.read_examples(tmp_path / "missing.csv")
    path = tmp_path / "gbk.csv"
    path.write_bytes("category,text\nparking,车位被占了\n".encode("gbk"))
    with pytest.raises(ValueError, match="UTF-8"):
        classifier.read_examples(path)


# --- the management command -------------------------------------------------------------------


def test_command_predict_writes_one_json_line_per_text(model_path):
    stdin = io.StringIO("三单元的电梯又坏了\n\n   \n隔壁天天半夜剁肉吵得睡不着\r\n小区门口的小广告贴得到处都是\n")
    out = io.StringIO()
    run("predict", stdin=stdin, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    rows = [json.loads(line) for line in lines]
    assert all(set(row) == {"text", "top"} for row in rows)
    assert [row["text"] for row in rows] == [
        "三单元的电梯又坏了",
        "隔壁天天半夜剁肉吵得睡不着",
        "小区门口的小广告贴得到处都是",
    ]
    for row in rows:
        assert len(row["top"]) == 3
        assert all(set(s) == {"category", "score"} and s["category"] in CODES for s in row["top"])
    assert [row["top"][0]["category"] for row in rows] == ["facility", "dispute", "urban_order"]
    assert "电梯" in lines[0]  # ensure_ascii=False


def test_command_predict_k(model_path):
    out = io.StringIO()
    run("predict", "--k", "1", stdin=io.StringIO("楼下垃圾堆成山了\n"), stdout=out)
    assert len(json.loads(out.getvalue())["top"]) == 1
    with pytest.raises(CommandError):
        run("predict", "--k", "0", stdin=io.StringIO("x\n"), stdout=io.StringIO())


def test_command_evaluate_on_holdout(model_path):
    out = io.StringIO()
    run("evaluate", "--input", str(classifier.HOLDOUT_PATH), stdout=out)
    text = out.getvalue()
    accuracy_lines = [line for line in text.splitlines() if line.startswith("accuracy: ")]
    assert len(accuracy_lines) == 1
    assert float(accuracy_lines[0].split()[1]) >= 0.9
    assert "精确率" in text and "召回率" in text and "混淆矩阵" in text


def test_command_evaluate_with_model_option(model, tmp_path):
    path = tmp_path / "explicit.joblib"
    classifier.save(model, path)
    out = io.StringIO()
    run("evaluate", "--input", str(classifier.HOLDOUT_PATH), "--model", str(path), stdout=out)
    assert out.getvalue().startswith("accuracy: ")
    with pytest.raises(CommandError, match="模型文件不存在"):
        run("evaluate", "--input", str(classifier.HOLDOUT_PATH), "--model", str(tmp_path / "none.joblib"))


def test_command_evaluate_unknown_category(model_path, tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("category,text\nparking,车位被占了\nnoise,楼上太吵\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第 3 行") as info:
        run("evaluate", "--input", str(path), stdout=io.StringIO())
    assert "noise" in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "文件不存在"), ("category,words\nparking,x\n", "表头"), ("category,text\nparking,\n", "第 2 行：文本为空")],
)
def test_command_evaluate_bad_files(model_path, tmp_path, content, message):
    path = tmp_path / "labelled.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run("evaluate", "--input", str(path), stdout=io.StringIO())


def test_command_train_without_feedback(settings, tmp_path):
    settings.GONGZHI_CLASSIFIER_PATH = tmp_path / "default.joblib"
    output = tmp_path / "out" / "trained.joblib"
    out = io.StringIO()
    run("train", "--no-feedback", "--output", str(output), stdout=out)
    text = out.getvalue()
    assert output.is_file()
    assert not settings.GONGZHI_CLASSIFIER_PATH.exists()
    assert f"内置语料：{len(classifier.shipped_examples())} 条" in text
    assert "调度员确认：0 条" in text
    line = next(line for line in text.splitlines() if line.startswith("holdout accuracy: "))
    assert float(line.split()[2]) >= 0.9


def test_command_train_with_feedback(settings, tmp_path, monkeypatch):
    settings.GONGZHI_CLASSIFIER_PATH = tmp_path / "classifier.joblib"
    feedback = [("welfare", "楼上的孙奶奶一个星期没下楼了"), ("parking", "   "), ("bogus", "忽略这条")]
    monkeypatch.setattr(classifier, "feedback_examples", lambda: feedback)
    out = io.StringIO()
    run("train", stdout=out)
    assert "调度员确认：1 条" in out.getvalue()
    assert classifier.read_model(settings.GONGZHI_CLASSIFIER_PATH).n_examples == len(classifier.shipped_examples()) + 1


def test_command_train_survives_a_missing_cases_table(settings, tmp_path, monkeypatch):
    settings.GONGZHI_CLASSIFIER_PATH = tmp_path / "classifier.joblib"

    def no_table():
        raise DatabaseError("no such table: cases_case")

    monkeypatch.setattr(classifier, "feedback_examples", no_table)
    out, err = io.StringIO(), io.StringIO()
    run("train", stdout=out, stderr=err)
    assert "仅使用内置语料" in err.getvalue()
    assert "调度员确认：0 条" in out.getvalue()
    assert settings.GONGZHI_CLASSIFIER_PATH.is_file()


@pytest.mark.skipif(not apps.is_installed("gongzhi.cases"), reason="gongzhi.cases is not in INSTALLED_APPS yet")
def test_command_is_registered_by_name(model_path):
    out = io.StringIO()
    call_command("classifier", "predict", stdin=io.StringIO("路灯坏了\n"), stdout=out)
    assert json.loads(out.getvalue())["text"] == "路灯坏了"


def test_read_examples_line_numbers_with_crlf_and_multiline_fields(tmp_path):
    path = tmp_path / "exported.csv"
    content = 'category,text\r\nparking,"车位被占了\r\n第二行说明"\r\nfacility,路灯坏了\r\nxyz,文本\r\n'
    path.write_bytes(content.encode("utf-8"))
    with pytest.raises(classifier.CorpusError) as info:
        classifier.read_examples(path)
    assert info.value.line == 5
