"""`sparsexlt translate …`: convert NLLB models, look up language codes, translate datasets."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from sparsexlt.cli.options import QuietOption, parse_options
from sparsexlt.errors import SparseXLTError

app = typer.Typer(
    help="NLLB through CTranslate2: convert models, map language codes, translate datasets.",
    no_args_is_help=True,
)


class Quantization(str, Enum):
    int8 = "int8"
    int8_float16 = "int8_float16"
    float16 = "float16"
    none = "none"


@app.command("convert")
def convert_command(
    model: Annotated[str, typer.Argument(help="NLLB/M2M100 Hugging Face folder or hub id.")],
    out: Annotated[Path, typer.Argument(help="Folder for the CTranslate2 model.")],
    quantization: Annotated[
        Quantization, typer.Option(help="Weight type of the converted model.")
    ] = Quantization.int8,
    quiet: QuietOption = False,
) -> None:
    """Convert MODEL to CTranslate2 in OUT (reused when OUT already holds this conversion)."""
    from sparsexlt.translation.convert import convert_model

    path = _run(convert_model, model, out, quantization=quantization.value)
    typer.echo(str(path))


@app.command("languages")
def languages_command(
    codes: Annotated[
        list[str] | None, typer.Argument(help="Codes or names to resolve; none lists all.")
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option(help="A converted translator: check its vocabulary too.")
    ] = None,
) -> None:
    """Resolve language codes to NLLB-200 codes (exit 1 if any is unsupported or unknown)."""
    from sparsexlt.translation.languages import lookup_language, nllb_codes, resolve_language
    from sparsexlt.translation.manifest import TranslatorManifest

    available = None
    if model_dir is not None:
        available = set(_run(TranslatorManifest.read, model_dir).language_codes)
    if not codes:
        for code in sorted(available) if available is not None else nllb_codes():
            typer.echo(code)
        return
    failed = False
    for code in codes:
        try:
            typer.echo(f"{code}\t{resolve_language(code, available)}\t{lookup_language(code).name}")
        except SparseXLTError as err:
            failed = True
            typer.echo(f"{code}\t-\t{err}")
    if failed:
        raise typer.Exit(1)


@app.command("dataset")
def dataset_command(
    source: Annotated[
        Path, typer.Argument(help="Data file (with --format) or a `save_to_disk` dataset folder.")
    ],
    model_dir: Annotated[Path, typer.Option(help="Converted translator (`translate convert`).")],
    src: Annotated[str, typer.Option("--src", help="Source language code.")],
    tgt: Annotated[
        list[str], typer.Option("--tgt", help="Target language code; repeat for several.")
    ],
    out: Annotated[Path, typer.Option(help="Output folder: one sub-folder per target.")],
    cache_dir: Annotated[
        Path | None, typer.Option(help="Translation cache folder (default: OUT/.cache).")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="Reader (see `sparsexlt data formats`).")
    ] = None,
    task_type: Annotated[
        str | None, typer.Option(help="Task type, for readers that need it.")
    ] = None,
    beam_size: Annotated[int, typer.Option(help="Beam width (1 = greedy).")] = 4,
    max_batch_tokens: Annotated[
        int, typer.Option(help="Source tokens per batch (raise it on a GPU).")
    ] = 1024,
    max_input_tokens: Annotated[int, typer.Option(help="Longer inputs are truncated.")] = 256,
    max_output_tokens: Annotated[int, typer.Option(help="Cap on output tokens.")] = 256,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto.")] = "cpu",
    device_index: Annotated[int, typer.Option(help="GPU index.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads (0 = CTranslate2 default).")] = 0,
    skip_unsupported: Annotated[
        bool, typer.Option(help="Skip (and report) targets the model lacks instead of failing.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Translate a task dataset into each --tgt language; prints {code: folder} as JSON."""
    from sparsexlt.translation.dataset import translate_dataset
    from sparsexlt.translation.options import TranslationOptions

    options = _run(
        TranslationOptions,
        beam_size=beam_size,
        max_batch_tokens=max_batch_tokens,
        max_input_tokens=max_input_tokens,
        max_output_tokens=max_output_tokens,
        device=device,
        device_index=device_index,
        threads=threads,
    )
    dataset = _run(_load_dataset, source, fmt, task_type)
    paths = _run(
        translate_dataset,
        dataset,
        model_dir=model_dir,
        src_lang=src,
        tgt_langs=tgt,
        options=options,
        cache_dir=cache_dir or out / ".cache",
        out_dir=out,
        skip_unsupported=skip_unsupported,
    )
    typer.echo(json.dumps({code: str(p) for code, p in paths.items()}))


@app.command("adapt")
def adapt_command(
    base_model: Annotated[str, typer.Argument(help="NLLB/M2M100 Hugging Face folder or hub id.")],
    train: Annotated[Path, typer.Option(help="Parallel CSV with a header (e.g. NusaX-MT train).")],
    eval_file: Annotated[Path, typer.Option("--eval", help="Held-out parallel CSV.")],
    src_column: Annotated[str, typer.Option(help="Source column, e.g. indonesian.")],
    tgt_column: Annotated[str, typer.Option(help="Target column, e.g. madurese.")],
    src: Annotated[str, typer.Option("--src", help="Source language code.")],
    tgt: Annotated[str, typer.Option("--tgt", help="Target language code.")],
    out: Annotated[Path, typer.Option(help="Output folder (resumable).")],
    init_from: Annotated[
        str | None, typer.Option(help="Related language whose code initialises a new one.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="Fine-tuning method (spiel-ag, spiel-ma, lora, full).")
    ] = ("spiel-ag"),
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Method option KEY=VALUE (VALUE read as JSON)."),
    ] = None,
    steps: Annotated[int, typer.Option(help="Optimizer steps.")] = 500,
    batch_size: Annotated[int, typer.Option(help="Pairs per batch.")] = 8,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 1e-4,
    device: Annotated[str, typer.Option(help="Training device: auto, cpu, cuda.")] = "auto",
    quantization: Annotated[
        Quantization, typer.Option(help="Weight type of the converted models.")
    ] = Quantization.int8,
    quiet: QuietOption = False,
) -> None:
    """Fine-tune NLLB on parallel data, score chrF/BLEU before and after, merge and convert."""
    from sparsexlt.translation.adapt import AdaptConfig, adapt_translator
    from sparsexlt.translation.parallel import read_parallel_csv

    config = _run(
        AdaptConfig,
        src_lang=src,
        tgt_lang=tgt,
        init_from=init_from,
        method=method,
        method_options=parse_options(option or []),
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        device=device,
        quantization=quantization.value,
    )
    train_pairs = _run(read_parallel_csv, train, src_column, tgt_column)
    eval_pairs = _run(read_parallel_csv, eval_file, src_column, tgt_column)
    result = _run(adapt_translator, base_model, train_pairs, eval_pairs, config, out)
    report = result.report
    typer.echo(
        json.dumps(
            {
                "translator": str(result.translator_dir),
                "tgt_code": report["tgt_code"],
                "before": report["before"],
                "after": report["after"],
            }
        )
    )


def _load_dataset(source: Path, fmt: str | None, task_type: str | None):
    if fmt is None:
        from datasets import load_from_disk

        if not source.is_dir():
            raise typer.BadParameter(
                f"{source} is not a dataset folder; give --format to read a data file",
                param_hint="SOURCE",
            )
        return _one_split(load_from_disk(str(source)), source)
    from sparsexlt.data import read_dataset

    return read_dataset(source, fmt, task_type)


def _one_split(loaded, source: Path):
    """`loaded` when it is one dataset; a DatasetDict (a folder of splits) names its splits and
    the folder of each, since only one split is translated at a time."""
    from datasets import DatasetDict

    from sparsexlt.errors import DataFormatError

    if not isinstance(loaded, DatasetDict):
        return loaded
    splits = list(loaded)
    paths = ", ".join(str(source / name) for name in splits)
    raise DataFormatError(
        source,
        None,
        f"a DatasetDict with splits {', '.join(splits)}, not one dataset: translate one split "
        f"by passing its folder as SOURCE ({paths})",
    )


def _run(fn, *args, **kwargs):
    """Call a library function; its user errors become a one-line message and exit code 2."""
    try:
        return fn(*args, **kwargs)
    except SparseXLTError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
