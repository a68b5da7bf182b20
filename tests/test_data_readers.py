"""Readers on small constructed files: schemas, ids, and what is skipped or dropped (counted)."""

from __future__ import annotations

import codecs

import pytest

from sparsexlt.data import FEATURES, read_dataset, read_with_report
from sparsexlt.errors import ConfigError, DataFormatError


def write(tmp_path, name: str, text: str, bom: bool = False):
    path = tmp_path / name
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode())
    return path


def test_nusax_csv_multiline_field_bom_and_schema(tmp_path):
    path = write(tmp_path, "t.csv", 'label,text,id\npositive,"a ""quoted""\nreview",7\n', bom=True)
    ds, report = read_with_report(path, "nusax-csv")
    assert ds.features == FEATURES["sequence-classification"]
    assert ds[0] == {"id": "7", "text": 'a "quoted"\nreview', "label": "positive"}
    assert report.examples == 1 and not report.dropped


def test_smsa_tsv_ids_are_line_numbers_quotes_are_text_and_blank_lines_counted(tmp_path):
    path = write(tmp_path, "s.tsv", 'he said "hi\tneutral\n\nbad . food\tnegative\r\n')
    ds, report = read_with_report(path, "smsa-tsv")
    assert ds["id"] == ["1", "3"]
    assert ds["text"] == ['he said "hi', "bad . food"]
    assert ds["label"] == ["neutral", "negative"]
    assert report.skipped == {"blank lines": 1}


def test_pair_tsv_default_header_named_columns_and_unlabelled(tmp_path):
    plain = write(tmp_path, "dev.tsv", 'He said "x\tHe spoke.\tentailment\n')
    assert read_dataset(plain, "pair-tsv")[0] == {
        "id": "1",
        "premise": 'He said "x',
        "hypothesis": "He spoke.",
        "label": "entailment",
    }
    with_header = write(tmp_path, "h.tsv", "gold\tsent1\tsent2\tpair\nneutral\tA\tB\tp7\n")
    columns = {"premise": "sent1", "hypothesis": "sent2", "label": "gold", "id": "pair"}
    row = read_dataset(with_header, "pair-tsv", header=True, columns=columns)[0]
    assert row == {"id": "p7", "premise": "A", "hypothesis": "B", "label": "neutral"}
    test = write(tmp_path, "test.tsv", "A\tB\nC\tD\n")
    ds = read_dataset(test, "pair-tsv", has_labels=False)
    assert ds["label"] == [None, None] and ds["hypothesis"] == ["B", "D"]


def test_pair_tsv_rejects_inconsistent_column_options(tmp_path):
    path = write(tmp_path, "p.tsv", "A\tB\tneutral\n")
    with pytest.raises(ConfigError, match="has_labels is false"):
        read_dataset(
            path, "pair-tsv", has_labels=False, columns={"premise": 0, "hypothesis": 1, "label": 2}
        )
    with pytest.raises(ConfigError, match="give a 0-based position"):
        read_dataset(path, "pair-tsv", columns={"premise": "p", "hypothesis": 1, "label": 2})
    with pytest.raises(ConfigError, match="unknown role 'gold'"):
        read_dataset(path, "pair-tsv", columns={"premise": 0, "hypothesis": 1, "gold": 2})


def test_conll_ner_bom_docstart_tabs_and_last_column_tag(tmp_path):
    text = (
        "-DOCSTART- -X- O O\n\nJii O\nOdhiambo\tB-PER\n\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n"
    )
    ds, report = read_with_report(write(tmp_path, "n.txt", text, bom=True), "conll-ner")
    assert ds.features == FEATURES["token-classification"]
    assert ds["tokens"] == [["Jii", "Odhiambo"], ["EU", "rejects"]]
    assert ds["tags"] == [["O", "B-PER"], ["B-ORG", "O"]]
    assert ds["id"] == ["3", "7"]  # line of each sentence's first token
    assert report.skipped == {"-DOCSTART- lines": 1}


CONLLU = """# sent_id = s1
# text = Don't go.
1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tDo\tdo\tAUX\t_\t_\t3\taux\t_\t_
2\tn't\tnot\tPART\t_\t_\t3\tadvmod\t_\t_
3\tgo\tgo\tVERB\t_\t_\t0\troot\t_\t_
3.1\tgo\tgo\tVERB\t_\t_\t_\t_\t3:conj\t_
4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_

1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_
"""


def test_conllu_skips_multiword_ranges_and_empty_nodes_keeping_syntactic_words(tmp_path):
    ds, report = read_with_report(write(tmp_path, "x.conllu", CONLLU), "conllu")
    assert ds.features == FEATURES["dependency-parsing"]
    assert ds[0] == {
        "id": "s1",
        "tokens": ["Do", "n't", "go", "."],
        "upos": ["AUX", "PART", "VERB", "PUNCT"],
        "heads": [3, 3, 0, 3],
        "deprels": ["aux", "advmod", "root", "punct"],
    }
    assert ds[1]["id"] == "10"  # no sent_id: the sentence's first line
    assert report.skipped == {"multiword-token lines": 1, "empty nodes": 1}


def test_conllu_pos_view_by_format_name_or_task_type(tmp_path):
    path = write(tmp_path, "x.conllu", CONLLU)
    by_name = read_dataset(path, "conllu-pos")
    by_task = read_dataset(path, "conllu", "token-classification")
    assert by_name.features == FEATURES["token-classification"]
    assert by_name[0]["tags"] == ["AUX", "PART", "VERB", "PUNCT"]
    assert by_name.to_dict() == by_task.to_dict()


def test_text_and_csv_column_count_what_they_skip_or_drop(tmp_path):
    ds, report = read_with_report(write(tmp_path, "t.txt", " one \n\n  \ntwo\n"), "text")
    assert ds["text"] == ["one", "two"] and report.skipped == {"blank lines": 2}
    csv = write(tmp_path, "mt.csv", ',indonesian,javanese\n0,"a, b",c\n1,d,\n2,e,"f\ng"\n')
    ds, report = read_with_report(csv, "csv-column", column="javanese")
    assert ds["text"] == ["c", "f\ng"]
    assert report.dropped == {"empty 'javanese' cell": 1} and report.examples == 2


def test_conllu_with_crlf_line_endings(tmp_path):
    ds = read_dataset(write(tmp_path, "w.conllu", CONLLU.replace("\n", "\r\n")), "conllu")
    assert ds["deprels"][1] == ["root"] and len(ds) == 2


@pytest.mark.parametrize(
    ("fmt", "content", "options"),
    [
        ("nusax-csv", "id,text,label\n", {}),
        ("smsa-tsv", "", {}),
        ("conll-ner", "\n\n", {}),
        ("conllu", "", {}),
        ("text", "", {}),
        ("csv-column", "a,b\n", {"column": "a"}),
    ],
)
def test_files_without_examples_give_empty_datasets_of_the_right_schema(
    tmp_path, fmt, content, options
):
    ds, report = read_with_report(write(tmp_path, "empty", content), fmt, **options)
    assert len(ds) == 0 and report.examples == 0
    assert ds.features == FEATURES[report.task_type]


def test_conll_ner_splits_on_ascii_space_and_tab_only(tmp_path):
    # A no-break space inside a token is part of the token (str.split would cut it off and
    # silently drop 'State'); a 4-field CoNLL-2003 line still gives token = first, tag = last.
    text = "Lagos\u00a0State B-LOC\nis\tO\n \t \nEU NNP B-NP B-ORG\n"
    ds, report = read_with_report(write(tmp_path, "n.txt", text), "conll-ner")
    assert ds["tokens"] == [["Lagos\u00a0State", "is"], ["EU"]]
    assert ds["tags"] == [["B-LOC", "O"], ["B-ORG"]]
    assert ds["id"] == ["1", "4"]  # the spaces-and-tab line 3 ended the first sentence


def test_conll_ner_refuses_a_line_whose_only_separator_is_a_unicode_space(tmp_path):
    with pytest.raises(DataFormatError, match="expected 'token tag'") as caught:
        read_dataset(write(tmp_path, "n.txt", "Lagos O\nAbuja\u00a0B-LOC\n"), "conll-ner")
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("fmt", "content", "options"),
    [
        ("nusax-csv", "id,text,label\n1,good,positive\n   \n2,bad,negative\n", {}),
        ("csv-column", "a,b\nx,good\n \t \ny,bad\n", {"column": "b"}),
        ("smsa-tsv", "good\tpositive\n   \nbad\tnegative\n", {}),
        ("pair-tsv", "p\tgood\tneutral\n  \nq\tbad\tneutral\n", {}),
    ],
)
def test_whitespace_only_lines_are_skipped_as_blank_by_every_csv_reader(
    tmp_path, fmt, content, options
):
    ds, report = read_with_report(write(tmp_path, f"w.{fmt}", content), fmt, **options)
    assert len(ds) == 2 and report.examples == 2
    assert report.skipped == {"blank lines": 1}
