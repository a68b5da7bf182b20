"""What is deployed: the deployments the Prefect API knows, for `sparsexlt deploy list`.

A schedule that is switched off (`active: false`, as `prefect.yaml` ships
`onboard-nusax-sentiment-mad`) is listed with `(off)` after it: it exists but starts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeploymentInfo:
    name: str  # flow-name/deployment-name
    work_pool: str | None
    schedules: list[str]  # cron (or the schedule's text), "(off)" appended when inactive
    targets: list[str]
    paused: bool


def list_deployments() -> list[DeploymentInfo]:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        found = []
        for d in client.read_deployments():
            schedules = [_schedule_text(s) for s in (d.schedules or [])]
            found.append(
                DeploymentInfo(
                    f"{flows.get(d.flow_id, '?')}/{d.name}",
                    d.work_pool_name,
                    schedules,
                    list((d.parameters or {}).get("targets") or []),
                    bool(d.paused),
                )
            )
    return sorted(found, key=lambda d: d.name)


def _schedule_text(schedule: Any) -> str:
    text = getattr(schedule.schedule, "cron", None) or str(schedule.schedule)
    return text if getattr(schedule, "active", True) else f"{text} (off)"
