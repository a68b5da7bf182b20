"""The config blocks on their own: defaults, parsing of K and lengths, task rules, lookups."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sparsexlt.config import (
    DATA_FORMATS,
    DataSource,
    FewShot,
    MethodConfig,
    TaskConfig,
    TrainingConfig,
    TranslationConfig,
)
from sparsexlt.config.dotted import PathProblem, lookup


def test_data_formats_are_the_agreed_names():
    assert DATA_FORMATS == (
        "nusax-csv", "smsa-tsv", "pair-tsv", "conll-ner", "conllu", "conllu-pos",
        "text", "csv-column", "jsonl", "hf", "demo",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("given", "expected"), [(5000, 5000), ("5000", 5000), (0.03, 0.03), ("1e-2", 0.01), (1.0, 1.0)]
)
def test_k_is_a_count_or_a_proportion(given, expected):
    k = TrainingConfig(k=given).k
    assert k == expected and type(k) is type(expected)


@pytest.mark.parametrize("bad", [0, -3, 1.5, 0.0, True, "lots"])
def test_bad_k_is_rejected(bad):
    with pytest.raises(ValidationError):
        TrainingConfig(k=bad)


def test_training_budget_per_phase():
    assert TrainingConfig().budget() == (None, 1.0)
    assert TrainingConfig(steps=7).budget(1) == (7, None)
    two = TrainingConfig(phase1_steps=3, phase2_steps=9)
    assert (two.budget(0), two.budget(1)) == ((3, None), (9, None))
    assert TrainingConfig(phase_epochs=2).budget(1) == (None, 2.0)
    with pytest.raises(ValidationError, match="give only one training length"):
        TrainingConfig(steps=3, phase_epochs=1)
    with pytest.raises(ValidationError, match="go together"):
        TrainingConfig(phase1_steps=3)
    assert TrainingConfig(lr="1e-4").lr == pytest.approx(1e-4)  # YAML reads 1e-4 as text


def test_method_defaults_and_key():
    method = MethodConfig(name="spiel-ag", task={"extra": {"reselection_interval": 20}})
    assert method.key == "spiel-ag" and method.language == TrainingConfig()
    assert method.task.extra == {"reselection_interval": 20}
    assert MethodConfig(name="lora", label="lora-r4", language=None).key == "lora-r4"
    with pytest.raises(ValidationError, match="not a sparse method"):
        MethodConfig(name="madx", language={"k": 100})


def test_few_shot_k():
    assert FewShot().k == 100 and FewShot(k="all").k == "all" and FewShot(k="12").k == 12
    with pytest.raises(ValidationError, match="count ≥ 1 or `all`"):
        FewShot(k="some")
    with pytest.raises(ValidationError):
        FewShot(upsample=0.5)


def test_task_metrics_per_type():
    dp = TaskConfig(
        name="dp", type="dependency-parsing", metric="las", extra_metrics=["uas", "las"]
    )
    assert dp.labels is None and dp.metrics == ["las", "uas"]
    with pytest.raises(ValidationError, match="does not apply"):
        TaskConfig(name="x", type="pair-classification", labels=["a", "b"], metric="uas")
    with pytest.raises(ValidationError, match="repeated 'a'"):
        TaskConfig(name="x", type="sequence-classification", labels=["a", "a"], metric="accuracy")


def test_data_source_rules():
    assert DataSource(format="demo").path is None
    with pytest.raises(ValidationError, match="a path is required"):
        DataSource(format="conllu")
    with pytest.raises(ValidationError, match="column"):
        DataSource(format="csv-column", path="x.csv")
    with pytest.raises(ValidationError, match="only format"):
        DataSource(format="conllu", path="x", options={"dedup_against": ["y"]})
    hub = DataSource(format="hf", path="org/dataset")
    assert hub.path == "org/dataset"


def test_translation_gpu_types_need_cuda():
    assert TranslationConfig(quantization="float16").device == "auto"
    with pytest.raises(ValidationError, match="needs device cuda"):
        TranslationConfig(quantization="int8_float16", device="cpu")


def test_dotted_lookup_by_index_or_name():
    data = {"languages": [{"code": "a"}, {"code": "b", "x": 1}]}
    assert lookup(data, "languages.b.x") == (1, ("languages", 1, "x"))
    assert lookup(data, "languages.1") == ({"code": "b", "x": 1}, ("languages", 1))
    with pytest.raises(PathProblem):
        lookup(data, "languages.c")
    with pytest.raises(PathProblem):
        lookup(data, "languages..x")


def test_every_field_is_documented_and_unknown_keys_are_errors():
    import sparsexlt.config as config

    models = [getattr(config, name) for name in config.__all__]
    models = [m for m in models if isinstance(m, type) and hasattr(m, "model_fields")]
    assert len(models) >= 12
    for model in models:
        assert model.model_config.get("extra") == "forbid", model
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
