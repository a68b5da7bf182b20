"""What is deployed: the deployments the Prefect API knows, for `sparsexlt deploy list`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeploymentInfo:
    name: str  # flow-name/deployment-name
    work_pool: str | None
    schedules: list[str]
    targets: list[str]
    paused: bool


def list_deployments() -> list[DeploymentInfo]:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        found = []
        for d in client.read_deployments():
            schedules = [
                getattr(s.schedule, "cron", None) or str(s.schedule) for s in (d.schedules or [])
            ]
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
