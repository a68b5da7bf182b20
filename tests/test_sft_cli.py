"""`sparsexlt sft info | compose | import | merge` through Typer's CliRunner."""

from __future__ import annotations

import json

import torch
from transformers import XLMRobertaModel
from typer.testing import CliRunner

from sft_tiny import (
    TinyTaskModel,
    legacy_entry,
    one_torch_thread,  # noqa: F401  (autouse fixture)
    random_delta,
    tiny_config,
)
from sparsexlt.adapters.sparse_delta import SparseDelta
from sparsexlt.cli import app
from sparsexlt.models.loading import load_backbone

runner = CliRunner()
NAMES = ["embeddings.word_embeddings.weight", "encoder.layer.1.attention.self.key.weight"]


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result


def test_info_compose_and_errors(tmp_path):
    model = TinyTaskModel(seed=0)
    a = random_delta(model.backbone, NAMES, 40, seed=1, task="senti").save(tmp_path / "a")
    b = random_delta(model.backbone, NAMES, 40, seed=2, language="ind").save(tmp_path / "b")
    result = invoke("sft", "info", str(a), "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["method"] == "lt-sft" and info["k"] == 80 and info["size_bytes"] > 0
    assert info["groups"] == {
        "embeddings": {"entries": 40, "nonzero": 40},
        "layer.1": {"entries": 40, "nonzero": 40},
    }
    text = invoke("sft", "info", str(a)).output
    assert "layer.1" in text and "K: 80" in text
    result = invoke("sft", "compose", str(a), str(b), "--out", str(tmp_path / "ab"))
    assert result.exit_code == 0, result.output
    ab = SparseDelta.load(tmp_path / "ab")
    assert ab.info.task == "senti" and ab.info.language == "ind" and 40 < ab.k <= 160
    result = invoke("sft", "compose", str(a), str(b), "--out", str(tmp_path / "ab"))
    assert result.exit_code == 2 and "already exists" in result.output
    result = invoke("sft", "info", str(tmp_path / "nothing"))
    assert result.exit_code == 2 and "sft.json" in result.output


def test_import_with_base_model_and_merge(tmp_path):
    base_dir = tmp_path / "base"
    torch.manual_seed(0)
    XLMRobertaModel(tiny_config(), add_pooling_layer=False).save_pretrained(base_dir)
    (base_dir / "tokenizer.json").write_text("{}")
    target = torch.zeros(32, 32)
    target[1, 2] = 0.5
    legacy = tmp_path / "pytorch_diff.bin"
    torch.save(
        {
            "diffs": {"roberta.encoder.layer.1.attention.self.key.weight": legacy_entry(target)},
            "abs": {},
        },
        legacy,
    )
    out = tmp_path / "imported"
    result = invoke("sft", "import", str(legacy), str(out), "--base-model", str(base_dir))
    assert result.exit_code == 0, result.output
    delta = SparseDelta.load(out)
    base = load_backbone(base_dir)
    assert delta.info.base_fingerprint == base.sparsexlt_fingerprint
    merged_dir = tmp_path / "merged"
    result = invoke("sft", "merge", str(base_dir), str(out), "--out", str(merged_dir))
    assert result.exit_code == 0, result.output
    merged = load_backbone(merged_dir)
    key = merged.encoder.layer[1].attention.self.key.weight
    assert torch.equal(key, base.encoder.layer[1].attention.self.key.weight + target)
    assert (merged_dir / "tokenizer.json").is_file()


def test_a_pipeline_artifact_folder_stands_for_its_component(tmp_path):
    model = TinyTaskModel(seed=0)
    artifact = tmp_path / "artifacts" / "task-sft" / ("ab" * 32)
    random_delta(model.backbone, NAMES, 40, seed=1, task="senti").save(artifact / "component")
    manifest = {"kind": "task-sft", "key": "ab" * 32, "method": "lt-sft", "language": None,
                "info": {"scenario": "fs-single", "target": "jav"}}  # fmt: skip
    (artifact / "artifact.json").write_text(json.dumps(manifest))
    info = json.loads(invoke("sft", "info", str(artifact), "--json").output)
    assert info["k"] == 80 and info["artifact"] == {
        "kind": "task-sft", "method": "lt-sft", "key": "ab" * 32, "scenario": "fs-single",
        "language": "jav",
    }  # fmt: skip
    assert (
        "artifact: kind task-sft  method lt-sft  key abababababab"
        in invoke("sft", "info", str(artifact)).output
    )
    result = invoke("sft", "compose", str(artifact), str(artifact), "--out", str(tmp_path / "x"))
    assert result.exit_code == 0, result.output
    assert SparseDelta.load(tmp_path / "x").k == 80  # the same entries, added twice
