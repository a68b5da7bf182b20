"""The plan in words, for `sparsexlt run CONFIG --dry-run`: what would run, what is skipped.

Each job shows its short key and whether its artifact already exists under the output folder
(`done`), so a dry run before a re-run shows exactly what would be recomputed.
"""

from __future__ import annotations

from pathlib import Path

from sparsexlt.recipe.artifacts import find
from sparsexlt.recipe.plan import PartJob, Plan, TaskSFTJob
from sparsexlt.util.hashing import short


def describe_plan(plan: Plan, output_dir: str | Path, title: str = "") -> str:
    """A plain-text listing of every job of `plan`, grouped by step."""
    lines = [title] if title else []
    base = plan.base
    lines.append(
        f"Base model: {base.name_or_path} ({base.dtype}, quantization {base.quantization})"
    )
    if plan.base_identity is None:
        lines.append("  (keys below use the model reference; a run adds its weights' fingerprint)")
    launch = next((j.launch for j in [*plan.language_sfts, *plan.task_sfts] if j.launch), None)
    if launch is not None:
        lines.append(
            f"Training: every language/task SFT as `sparsexlt train` on {launch.processes} "
            f"process(es) started by {launch.launcher} (same artifacts as one process)"
        )
    status = _status(output_dir)

    lines.append(f"\nLanguage SFTs ({len(plan.language_sfts)}):")
    for j in plan.language_sfts:
        lines.append(
            f"  {j.method:<12} {j.language:<8} {_data(j.data)}  {status('language-sft', j.key)}"
        )

    lines.append(f"\nTranslations ({len(plan.translations)}):")
    if plan.translator is not None:
        tr = plan.translator
        lines.append(
            f"  translator {tr.model} ({tr.quantization}; {', '.join(tr.codes)})  "
            f"{status('translator', tr.key)}"
        )
    for a in plan.mt_adaptations:
        lines.append(
            f"  adapt translator to {a.target} ({a.method}, {len(a.pairs)} parallel sides, new "
            f"code from {a.init_from})  {status('mt-adapt', a.key)}"
        )
    for t in plan.translations:
        lines.append(
            f"  {t.source} → {t.target} ({t.src_code} → {t.tgt_code})  {status('translation', t.key)}"
        )

    lines.append(f"\nTask SFTs ({_count(plan.task_sfts)}):")
    for j in plan.task_sfts:
        lines.append(f"  {j.name:<32} {_mix(j)}  {status('task-sft', j.key)}")

    lines.append(f"\nEvaluations ({_count(plan.evaluations)}):")
    for j in plan.evaluations:
        with_lang = f"+ φ_{j.target}" if j.language_sft_key else "(no language SFT)"
        name = f"{j.method}/{j.scenario}"
        lines.append(
            f"  {name:<32} on {j.target:<6} {j.split:<10} θ + φ_task {with_lang}  "
            f"{status('evaluation', j.key)}"
        )

    if plan.notes:
        lines.append("\nSkipped or limited:")
        lines += [f"  - {n}" for n in plan.notes]
    lines.append(f"\n{plan.jobs()} jobs.")
    return "\n".join(lines)


def _count(jobs: list) -> str:
    """How many, and how many distinct: settings with the same mix (ttrain-all with one
    translatable target is ttrain-single) share one key, so they train and evaluate once."""
    distinct = len({j.key for j in jobs})
    return str(len(jobs)) if distinct == len(jobs) else f"{len(jobs)}, {distinct} distinct"


def _status(output_dir: str | Path):
    def status(kind: str, key: str) -> str:
        done = find(output_dir, kind, key) is not None
        return f"[{short(key, 8)}{' done' if done else ''}]"

    return status


def _data(ref) -> str:
    where = Path(ref.path).name if ref.path else "generated"
    return f"{ref.format}:{where}"


def _mix(job: TaskSFTJob) -> str:
    return " + ".join(_part(p) for p in job.parts)


def _part(part: PartJob) -> str:
    text = part.name
    if part.few_shot:
        text += f"(k={part.few_shot['k']})"
    if part.upsample != 1.0:
        text += f"×{part.upsample:g}"
    if part.language_sft_key:
        text += f"[φ_{part.language}]"
    return text
