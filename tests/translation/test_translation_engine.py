"""The CTranslate2 engine: same greedy output as `transformers`, truncation, beam search."""

from __future__ import annotations

import torch

from sparsexlt.translation.engine import CTranslate2Engine, truncate_tokens
from sparsexlt.translation.options import TranslationOptions

SOURCES = [
    "saya suka makan nasi goreng",
    "dia pergi ke pasar",
    "buku itu sangat bagus dan harganya murah sekali",
    "kami menonton film",
    "pelayanan hotel",
]


def test_greedy_ctranslate2_equals_transformers_generate(tiny_nllb, engine):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_nllb))
    model = AutoModelForSeq2SeqLM.from_pretrained(str(tiny_nllb)).eval()
    tok.src_lang = "ind_Latn"
    batch = tok(SOURCES, return_tensors="pt", padding=True)
    n_out = engine.options.max_output_tokens
    with torch.no_grad():
        generated = model.generate(
            **batch,
            forced_bos_token_id=tok.convert_tokens_to_ids("jav_Latn"),
            num_beams=1,
            do_sample=False,
            max_new_tokens=n_out + 1,  # the forced code counts
        )
    expected = []
    for row in generated.tolist():
        tokens = tok.convert_ids_to_tokens(row[2:])  # drop </s> start and the code
        expected.append([t for t in tokens if t not in ("</s>", "<pad>")])

    source_tokens, _ = engine.tokenize(SOURCES, "ind_Latn")
    got = engine.translate_tokens(source_tokens, "jav_Latn")
    assert got == expected
    assert len({tuple(g) for g in got}) > 1  # outputs depend on the input
    texts = engine.translate(SOURCES, "ind_Latn", "jav_Latn").texts
    assert texts == [
        tok.decode(tok.convert_tokens_to_ids(e), skip_special_tokens=True).strip() for e in expected
    ]


def test_long_inputs_are_truncated_and_flagged(tiny_ct2):
    engine = CTranslate2Engine(
        tiny_ct2, TranslationOptions(beam_size=2, max_input_tokens=6, max_output_tokens=4)
    )
    tokens, truncated = engine.tokenize(
        ["saya", "saya suka makan nasi goreng di warung"], "ind_Latn"
    )
    assert truncated == [False, True]
    assert len(tokens[1]) == 6 and tokens[1][0] == "ind_Latn" and tokens[1][-1] == "</s>"
    out = engine.translate(
        ["saya", "saya suka makan nasi goreng di warung"], "ind_Latn", "eng_Latn"
    )
    assert out.truncated == [False, True] and len(out.texts) == 2


def test_truncate_tokens_keeps_code_and_end():
    assert truncate_tokens(["c", "a", "b", "</s>"], 4) == (["c", "a", "b", "</s>"], False)
    assert truncate_tokens(["c", "a", "b", "d", "</s>"], 3) == (["c", "a", "</s>"], True)


def test_engine_key_changes_with_decoding_options_only(tiny_ct2, engine):
    same = CTranslate2Engine(
        tiny_ct2,
        TranslationOptions(beam_size=1, max_output_tokens=8, max_batch_tokens=64, threads=1),
    )
    other = CTranslate2Engine(tiny_ct2, TranslationOptions(beam_size=2, max_output_tokens=8))
    assert same.key == engine.key
    assert other.key != engine.key
