"""Malformed files: every reader raises DataFormatError naming the file and the 1-based line."""

from __future__ import annotations

import pytest

from sparsexlt.data import read_dataset
from sparsexlt.errors import DataFormatError

CONLLU_OK = "1\tA\ta\tDET\t_\t_\t2\tdet\t_\t_\n2\tdog\tdog\tNOUN\t_\t_\t0\troot\t_\t_\n"

# (format, file content, options, line of the fault, words the message must contain)
CASES = [
    ("nusax-csv", "id,text,label\n1,good,positive\n2,bad\n", {}, 3, "expected 3 columns"),
    ("nusax-csv", "id,text,label\n1,good,positive\n2,  ,negative\n", {}, 3, "empty text"),
    ("nusax-csv", "id,text\n1,good\n", {}, 1, "lacks label"),
    (
        "nusax-csv",
        'id,text,label\n1,"two\nlines",positive\n2,x,happy\n',
        {"labels": ["positive", "negative"]},
        4,  # the quoted field spans lines 2-3, so row 2 starts on line 4
        "unknown label 'happy'",
    ),
    ("smsa-tsv", "good food\tpositive\nno tab here\n", {}, 2, "expected 2 columns"),
    ("smsa-tsv", "good\tpositive\nbad\tnegative\textra\n", {}, 2, "expected 2 columns"),
    ("smsa-tsv", "good\tpositive\nbad\t\n", {}, 2, "empty label"),
    ("smsa-tsv", "a\tpositive\nb\tmeh\n", {"labels": ["positive"]}, 2, "unknown label 'meh'"),
    ("pair-tsv", "p\th\tneutral\np\th\n", {}, 2, "expected 3 columns"),
    ("pair-tsv", "p\th\tneutral\n\th\tneutral\n", {}, 2, "empty premise"),
    ("pair-tsv", "p\th\n p\t\n", {"has_labels": False}, 2, "empty hypothesis"),
    ("pair-tsv", "premise\thypo\n", {"header": True}, 1, "no column 'hypothesis'"),
    ("conll-ner", "Obama B-PER\nspoke\n", {}, 2, "expected 'token tag'"),
    ("conll-ner", "Obama B-PER\n\nx B-FOO\n", {"labels": ["O", "B-PER"]}, 3, "unknown tag"),
    ("conllu", "1\tA\ta\tDET\t_\t_\t2\tdet\t_\n", {}, 1, "expected 10 tab-separated columns"),
    ("conllu", CONLLU_OK.replace("2\tdog", "3\tdog"), {}, 2, "ID '3' out of sequence"),
    ("conllu", CONLLU_OK.replace("\t2\tdet", "\t7\tdet"), {}, 1, "HEAD '7' not an integer"),
    ("conllu", CONLLU_OK.replace("\t0\troot", "\t2\troot"), {}, 2, "is the word itself"),
    ("conllu", CONLLU_OK.replace("\t2\tdet", "\tx\tdet"), {}, 1, "HEAD 'x'"),
    ("conllu", CONLLU_OK.replace("\tdet\t", "\t_\t"), {}, 1, "DEPREL is '_'"),
    ("conllu", "# sent_id = 1\n# text = nothing\n\n", {}, 1, "sentence without words"),
    ("conllu", "1-x\tAb\t_\t_\t_\t_\t_\t_\t_\t_\n" + CONLLU_OK, {}, 1, "bad multiword-token"),
    ("conllu-pos", CONLLU_OK.replace("NOUN", "_"), {}, 2, "UPOS is '_'"),
    ("csv-column", "a,b\nx,y\nz\n", {"column": "b"}, 3, "expected 2 columns"),
    ("csv-column", "a,b\nx,y\n", {"column": "c"}, 1, "no column 'c'"),
    ("jsonl", '{"text": "ok", "label": "pos"}\n{"text": "broken"\n', {}, 2, "bad JSON"),
    ("jsonl", '{"text": "ok", "label": "pos"}\n{"text": "no label"}\n', {}, 2, "missing field"),
    ("jsonl", '["a list"]\n', {}, 1, "expected an object"),
    ("jsonl", '{"text": "", "label": "pos"}\n', {}, 1, "empty field 'text'"),
    ("jsonl", '{"text": 3.5, "label": "pos"}\n', {}, 1, "expected a string"),
    ("text", "fine\n\xff\xfe broken\n", {}, 2, "not UTF-8"),
]


@pytest.mark.parametrize(("fmt", "content", "options", "line", "words"), CASES)
def test_malformed_input_names_file_and_line(tmp_path, fmt, content, options, line, words):
    path = tmp_path / f"bad.{fmt}"
    path.write_bytes(content.encode("latin-1") if "\xff" in content else content.encode())
    task_type = "sequence-classification" if fmt == "jsonl" else None
    with pytest.raises(DataFormatError) as caught:
        read_dataset(path, fmt, task_type, **options)
    err = caught.value
    assert (err.path, err.line) == (str(path), line)
    assert words in err.message
    assert str(err).startswith(f"{path}:{line}: ")


def test_every_reader_is_covered_by_a_bad_input_case():
    from sparsexlt.data import available_formats

    covered = {case[0] for case in CASES} | {"hf"}  # hf: see test_data_jsonl_hf.py
    assert covered == set(available_formats())


def test_missing_file_is_a_data_format_error(tmp_path):
    with pytest.raises(DataFormatError, match="no such file"):
        read_dataset(tmp_path / "absent.tsv", "smsa-tsv")
