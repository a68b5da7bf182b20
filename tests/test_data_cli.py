"""`sparsexlt data inspect` and `sparsexlt data formats` through the real Typer app."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sparsexlt.cli import app

runner = CliRunner()


def test_inspect_json_on_maltese_conllu(shared_data):
    path = shared_data / "ud/UD_Maltese-MUDT/mt_mudt-ud-train.conllu"
    result = runner.invoke(app, ["data", "inspect", str(path), "--format", "conllu", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["examples"], report["sentences"], report["tokens"]) == (1123, 1123, 22880)
    assert report["problems"] == [] and report["dropped"] == 0
    assert report["labels"]["root"] == 1123  # one root per sentence


def test_inspect_text_output_on_nusax(shared_data):
    path = shared_data / "nusax/sentiment/javanese/train.csv"
    result = runner.invoke(app, ["data", "inspect", str(path), "-f", "nusax-csv"])
    assert result.exit_code == 0
    assert "examples: 500" in result.stdout
    assert "labels: negative 192, neutral 119, positive 189" in result.stdout


def test_inspect_malformed_file_reports_file_line_and_exits_2(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("good\tpositive\nmissing label\n")
    result = runner.invoke(app, ["data", "inspect", str(path), "-f", "smsa-tsv", "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["problems"] == [f"{path}:2: expected 2 columns, found 1"]
    assert report["examples"] == 0
    human = runner.invoke(app, ["data", "inspect", str(path), "-f", "smsa-tsv"])
    assert human.exit_code == 2 and f"problem: {path}:2:" in human.stdout


def test_inspect_column_labels_and_generic_options(tmp_path):
    csv = tmp_path / "mt.csv"
    csv.write_text(",indonesian,javanese\n0,saya makan,aku mangan\n1,x,\n")
    result = runner.invoke(
        app, ["data", "inspect", str(csv), "-f", "csv-column", "--column", "javanese", "--json"]
    )
    report = json.loads(result.stdout)
    assert (report["examples"], report["tokens"], report["dropped"]) == (1, 2, 1)
    tsv = tmp_path / "test.tsv"
    tsv.write_text("A\tB\nC\tD\n")
    args = ["data", "inspect", str(tsv), "-f", "pair-tsv", "-o", "has_labels=false", "--json"]
    assert json.loads(runner.invoke(app, args).stdout)["examples"] == 2
    labelled = tmp_path / "s.tsv"
    labelled.write_text("x\tpos\ny\tneg\n")
    args = ["data", "inspect", str(labelled), "-f", "smsa-tsv", "--labels", "pos", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "unknown label 'neg'" in json.loads(result.stdout)["problems"][0]


def test_inspect_dedup_reports_dropped(tmp_path):
    train = tmp_path / "train.tsv"
    train.write_text("a nice place .\tpositive\nawful\tnegative\n")
    test = tmp_path / "test.txt"
    test.write_text("A nice place.\n")
    args = ["data", "inspect", str(train), "-f", "smsa-tsv", "--json"]
    report = json.loads(runner.invoke(app, [*args, "-o", f'dedup_against=["{test}"]']).stdout)
    assert report["dropped"] == 1 and report["examples"] == 1


def test_inspect_warns_on_duplicate_ids_without_failing(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,text,label\n1,a,pos\n1,b,neg\n")
    result = runner.invoke(app, ["data", "inspect", str(path), "-f", "nusax-csv", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"] == ["1 id(s) occur more than once, e.g. '1'"]


def test_formats_lists_every_format():
    result = runner.invoke(app, ["data", "formats"])
    assert result.exit_code == 0
    for name in ("nusax-csv", "smsa-tsv", "pair-tsv", "conll-ner", "conllu", "jsonl", "hf"):
        assert f"{name}\n" in result.stdout
