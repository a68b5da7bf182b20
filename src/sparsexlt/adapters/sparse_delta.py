"""SparseDelta (φ): the value every sparse fine-tuning method produces.

A fine-tuned model is F(·; θ + φ) where φ touches few of θ's entries. Per parameter, φ holds
either sparse entries (sorted flat row-major indices + values, additive) or a dense tensor
(additive for parameters of the base model, absolute for `new_parameters` such as a task head).

Parameter names are those of `TaskModel.named_parameters()` (`backbone.…`, `head.…`). `apply`
also accepts a bare backbone: a name is looked up as written, then without a leading
`backbone.`, then with one added.

`apply` saves the touched originals and `revert` writes them back, so revert is bit-for-bit
exact even though float addition is not invertible ((w + a) − a ≠ w). Originals are kept per
model (a delta may be applied to several models at once, but only once to each; see
`applications`: a freed model's entry and originals go with it). Two names of the delta may
resolve to one tensor (tied weights, e.g. the input embeddings and an MLM decoder): both parts
are added, in the order of `names()`, and `revert` restores in reverse order, so the tensor
ends bit-for-bit at the value `apply` found first.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sparsexlt import __version__
from sparsexlt.adapters import sft_format
from sparsexlt.adapters.applications import Applications
from sparsexlt.adapters.registry import register_loader
from sparsexlt.adapters.tensor_hash import delta_key
from sparsexlt.errors import IncompatibleModelError
from sparsexlt.models.fingerprint import FINGERPRINT_ATTR, backbone_of, base_fingerprint

#: Methods whose saved result is a SparseDelta ("composed": the sum of several).
SPARSE_METHODS = ("lt-sft", "spiel-ag", "spiel-ma", "full", "composed")
BACKBONE_PREFIX = "backbone."


@dataclass
class DeltaInfo:
    """What a delta is and which base model it belongs to (the manifest's descriptive fields)."""

    method: str = "lt-sft"
    base_model: str | None = None
    base_fingerprint: str | None = None
    task: str | None = None
    language: str | None = None
    training_config: dict[str, Any] = field(default_factory=dict)
    library_version: str = __version__
    extra: dict[str, Any] = field(default_factory=dict)


class SparseDelta:
    """φ as a value: sparse `{name: (indices, values)}`, dense `{name: tensor}`, shapes, info.

    `sparse` indices are sorted on construction (values permuted along) and must be unique;
    tensors are kept on the CPU. `shapes` is required for sparse entries, derived for dense ones.
    """

    def __init__(
        self,
        sparse: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None,
        dense: dict[str, torch.Tensor] | None = None,
        shapes: dict[str, tuple[int, ...]] | None = None,
        new_parameters: tuple[str, ...] | list[str] | set[str] = (),
        info: DeltaInfo | None = None,
    ):
        self.info = info or DeltaInfo()
        self.sparse: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.dense: dict[str, torch.Tensor] = {}
        self.shapes: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in (shapes or {}).items()}
        for name, (idx, values) in (sparse or {}).items():
            self.sparse[name] = _sorted_entry(name, idx, values, self.shapes)
        for name, tensor in (dense or {}).items():
            if name in self.sparse:
                raise ValueError(f"parameter {name} is both sparse and dense")
            self.dense[name] = tensor.detach().to("cpu")
            self.shapes.setdefault(name, tuple(tensor.shape))
        self.new_parameters = set(new_parameters)
        stray = self.new_parameters - set(self.dense)
        if stray:
            raise ValueError(f"new parameters must be dense: {sorted(stray)}")
        self._applied = Applications(repr(self))
        self._content_hash: str | None = None

    # ---- description -------------------------------------------------------------------
    @property
    def method(self) -> str:
        return self.info.method

    @property
    def k(self) -> int:
        """Number of sparse entries (dense parameters not counted)."""
        return sum(int(idx.numel()) for idx, _ in self.sparse.values())

    def names(self) -> list[str]:
        return list(self.sparse) + list(self.dense)

    def __repr__(self) -> str:
        return (
            f"SparseDelta(method={self.method!r}, k={self.k}, sparse={len(self.sparse)}, "
            f"dense={len(self.dense)}, new={sorted(self.new_parameters)})"
        )

    def content_hash(self) -> str:
        """Identity by content (`tensor_hash.delta_key`: names, dtypes, indices, values), as the
        training loop's resume check records it; computed once (a delta is a value: its tensors
        are not changed in place)."""
        if self._content_hash is None:
            self._content_hash = delta_key(self)
        return self._content_hash

    def to(self, device: torch.device | str) -> SparseDelta:
        """A copy whose tensors live on `device`, so `apply` moves nothing on every call (the
        training loop places language deltas once). `save`/`compose` accept it as well."""
        out = SparseDelta(self.sparse, self.dense, self.shapes, self.new_parameters, self.info)
        out.sparse = {n: (i.to(device), v.to(device)) for n, (i, v) in out.sparse.items()}
        out.dense = {n: t.to(device) for n, t in out.dense.items()}
        out._content_hash = self._content_hash
        return out

    # ---- apply / revert ----------------------------------------------------------------
    def apply(
        self, model: nn.Module, check_fingerprint: bool = True, skip_new_parameters: bool = False
    ) -> None:
        """Add φ to `model` in place (absolute values for new parameters); save the originals.

        Raises IncompatibleModelError (naming the parameter) on a base-fingerprint mismatch or a
        missing / mis-shaped parameter. `skip_new_parameters` leaves out new parameters the model
        does not have (a task head when merging into a bare backbone).
        """
        self._applied.check_not_applied(model)
        remember_base_fingerprint(model)
        if check_fingerprint:
            check_base_fingerprint(model, self.info.base_fingerprint)
        targets = self.targets(model, skip_new_parameters)
        originals: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            for name, param in targets.items():
                originals[name] = self._apply_one(name, param)
        self._applied.add(model, originals)

    def revert(self, model: nn.Module) -> None:
        """Write back exactly the values `apply` found (bit for bit; in reverse order of apply,
        so tied names end at the original)."""
        originals = self._applied.pop(model)
        targets = self.targets(model, skip_new_parameters=True)
        with torch.no_grad():
            for name, saved in reversed(originals.items()):
                param = targets[name]
                if name in self.sparse:
                    flat = _flat(param)
                    flat[self.sparse[name][0].to(param.device, torch.long)] = saved
                else:
                    param.copy_(saved)

    def is_applied(self, model: nn.Module) -> bool:
        """Whether this delta is applied to this very model (and not reverted yet)."""
        return self._applied.is_applied(model)

    def _apply_one(self, name: str, param: torch.Tensor) -> torch.Tensor:
        if name in self.sparse:
            idx, values = self.sparse[name]
            flat = _flat(param)
            idx = idx.to(param.device, torch.long)
            saved = flat[idx].clone()
            flat[idx] = add_wide(saved, values.to(param.device))
            return saved
        saved = param.detach().clone()
        dense = self.dense[name].to(param.device)
        if name in self.new_parameters:
            param.copy_(dense)
        else:
            param.copy_(add_wide(saved, dense))
        return saved

    def targets(
        self, model: nn.Module, skip_new_parameters: bool = False
    ) -> dict[str, torch.Tensor]:
        """The model's parameter for each name of the delta; IncompatibleModelError (naming the
        parameter) when one is missing or has another shape."""
        params = dict(model.named_parameters(remove_duplicate=False))
        out = {}
        for name in self.names():
            param = resolve_parameter(params, name)
            if param is None:
                if skip_new_parameters and name in self.new_parameters:
                    continue
                raise IncompatibleModelError(
                    f"parameter {name} of the {self.method} delta is missing from the model "
                    f"({type(model).__name__}, {len(params)} parameters)"
                )
            if tuple(param.shape) != self.shapes[name]:
                raise IncompatibleModelError(
                    f"parameter {name}: delta shape {list(self.shapes[name])} but the model's is "
                    f"{list(param.shape)}"
                )
            if name in self.sparse and not param.is_contiguous():
                raise IncompatibleModelError(f"parameter {name} is not contiguous in memory")
            out[name] = param
        return out

    # ---- files -------------------------------------------------------------------------
    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        """Write `sft.safetensors` + `sft.json` atomically; returns the folder."""
        tensors: dict[str, torch.Tensor] = {}
        for name, (idx, values) in self.sparse.items():
            tensors[f"{name}.indices"] = idx.to(
                sft_format.index_dtype(math.prod(self.shapes[name]))
            )
            tensors[f"{name}.values"] = values
        for name, tensor in self.dense.items():
            tensors[f"{name}.dense"] = tensor
        manifest = {
            **asdict(self.info),
            "k": self.k,
            "shapes": {n: list(s) for n, s in self.shapes.items()},
            "new_parameters": sorted(self.new_parameters),
        }
        return sft_format.write_sft(directory, manifest, tensors, overwrite=overwrite)

    @classmethod
    def load(cls, directory: str | Path) -> SparseDelta:
        """Read and validate a saved delta (see `sft_format` for the checks)."""
        manifest, tensors = sft_format.read_sft(directory)
        sparse, dense = {}, {}
        for key, tensor in tensors.items():
            name, suffix = sft_format.split_key(key)
            if suffix == ".dense":
                dense[name] = tensor
            elif suffix == ".indices":
                sparse[name] = (tensor, tensors[f"{name}.values"])
        known = set(DeltaInfo.__dataclass_fields__)
        info = DeltaInfo(**{k: v for k, v in manifest.items() if k in known})
        return cls(sparse, dense, manifest["shapes"], manifest.get("new_parameters", ()), info)


# ---- helpers shared by merge/selection/methods ---------------------------------------------
def check_base_fingerprint(model: nn.Module, expected: str | None) -> None:
    """Raise IncompatibleModelError when `model`'s base fingerprint is not `expected`.

    A delta without a recorded fingerprint (e.g. imported without its base model) is not checked.
    """
    if expected is None:
        return
    actual = base_fingerprint(model)
    if actual != expected:
        raise IncompatibleModelError(
            f"base model fingerprint mismatch: the delta was trained on base {expected[:12]} but "
            f"the model's base is {actual[:12]}; apply it to the base model it was trained on"
        )


def remember_base_fingerprint(model: nn.Module) -> str | None:
    """Store the base fingerprint on the backbone before anything is merged into it.

    Models from `sparsexlt.models.load_backbone` carry it already; for others (built directly)
    it is computed from the weights now, so later checks still see the base after deltas were
    merged in place. None where it cannot be computed (4-bit weights without a stored one).
    """
    backbone = backbone_of(model)
    try:
        fp = base_fingerprint(model)
    except ValueError:
        return None
    if not isinstance(getattr(backbone, FINGERPRINT_ATTR, None), str):
        setattr(backbone, FINGERPRINT_ATTR, fp)
    return fp


def resolve_parameter(params: dict[str, torch.Tensor], name: str) -> torch.Tensor | None:
    """Look `name` up as written, without `backbone.`, then with it."""
    if name in params:
        return params[name]
    if name.startswith(BACKBONE_PREFIX):
        return params.get(name[len(BACKBONE_PREFIX) :])
    return params.get(BACKBONE_PREFIX + name)


def _flat(param: torch.Tensor) -> torch.Tensor:
    return param.data.view(-1)


def add_wide(base: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """base + delta computed in the wider dtype, returned in base's dtype."""
    wide = torch.promote_types(base.dtype, delta.dtype)
    return (base.to(wide) + delta.to(wide)).to(base.dtype)


def _sorted_entry(
    name: str, idx: torch.Tensor, values: torch.Tensor, shapes: dict[str, tuple[int, ...]]
) -> tuple[torch.Tensor, torch.Tensor]:
    if name not in shapes:
        raise ValueError(f"sparse parameter {name} needs its shape in `shapes`")
    numel = math.prod(shapes[name])
    idx = idx.detach().to("cpu", torch.long).reshape(-1)
    values = values.detach().to("cpu").reshape(-1)
    if idx.numel() != values.numel():
        raise ValueError(f"parameter {name}: {idx.numel()} indices but {values.numel()} values")
    if idx.numel() > 1 and not bool((idx[1:] > idx[:-1]).all()):
        idx, order = torch.sort(idx)
        values = values[order]
        if not bool((idx[1:] > idx[:-1]).all()):
            raise ValueError(f"parameter {name}: duplicate indices")
    if idx.numel() and (int(idx[0]) < 0 or int(idx[-1]) >= numel):
        raise ValueError(f"parameter {name}: index out of range for shape {list(shapes[name])}")
    return idx.to(sft_format.index_dtype(numel)), values


def load_sparse_delta(directory: str | Path) -> SparseDelta:
    """The registry loader for every method that saves a SparseDelta."""
    return SparseDelta.load(directory)


for _method in SPARSE_METHODS:
    register_loader(_method, load_sparse_delta)
