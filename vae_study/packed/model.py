"""K VAEs of one architecture evaluated as one vectorised computation over a model axis.

Each member is a :class:`vae_study.models.module.VAEModule` built exactly as its single run
builds it; :class:`PackedVAE` stacks their parameters (``torch.func.stack_module_state``) and
maps one member's own forward pass (``VAEModule.forward_pass``, given that member's noise) and
its objective's own ``terms`` over the model axis with ``torch.func.vmap`` and
``functional_call`` (the recipe of the PyTorch tutorial "Model ensembling"). Each member's
numeric hyperparameters enter as one tensor per name (``Objective.hyperparameters``), so the
formula is the single run's, written once in :mod:`vae_study.models.objectives`: any objective
without parameters of its own packs as it is.

Under ``vmap`` a convolution with stacked weights becomes one grouped convolution and a linear
layer one batched matmul, so K small models make one large kernel per layer. That pays on a GPU;
on a CPU the grouped convolutions measured about half the speed of K separate ones
(``make bench``), so there the members are evaluated one after the other on their slices of the
same stacked parameters (``mode="loop"``): one process, one data stream, one Adam, and each
member at single-run speed. Models with parameters in their objective (FactorVAE's
discriminator, with an optimiser of its own) or another module class (the hierarchical VAE, the
autoencoder) are not packed: their packs train as single runs one after another.
"""

from __future__ import annotations

import copy

import torch
from torch.func import functional_call, stack_module_state, vmap

from vae_study.errors import ConfigError
from vae_study.models.module import VAEModule

Terms = dict[str, torch.Tensor]


def resolve_pack_mode(mode: str, device: torch.device) -> str:
    """``pack.mode``: ``auto`` is ``vmap`` on CUDA and ``loop`` elsewhere."""
    if mode == "auto":
        return "vmap" if device.type == "cuda" else "loop"
    return mode


def unpackable(module: object) -> str | None:
    """Why a built model cannot be packed, or None if it can."""
    if type(module) is not VAEModule:
        return f"{type(module).__name__} is not a plain VAEModule"
    objective = module.objective
    if any(True for _ in objective.parameters()) or objective.parameter_groups():
        return f"{type(objective).__name__} has parameters of its own"
    return None


def check_packable(members: list[VAEModule]) -> None:
    """Members must be packable and share module class, objective class and packing key, and
    likelihood."""
    first = members[0]
    if (reason := unpackable(first)) is not None:
        raise ConfigError(f"pack.size > 1: {reason}, so it has no packed form; use pack.size=1")
    for member in members[1:]:
        same = (
            type(member) is type(first)
            and type(member.objective) is type(first.objective)
            and member.objective.packing_key() == first.objective.packing_key()
            and (member.likelihood.kind, member.likelihood.sigma)
            == (first.likelihood.kind, first.likelihood.sigma)
        )
        if not same:
            raise ConfigError("packed members must share their model, objective and likelihood")


class PackedVAE:
    """The stacked parameters of K members and their vectorised loss terms."""

    def __init__(self, members: list[VAEModule], mode: str = "vmap") -> None:
        """``mode``: ``vmap`` (one vectorised computation) or ``loop`` (member by member)."""
        check_packable(members)
        if mode not in ("vmap", "loop"):
            raise ConfigError(f"packed mode must be 'vmap' or 'loop', got {mode!r}")
        self.members = members
        self.params, self.buffers = stack_module_state(members)  # name -> (K, ...)
        self.base = copy.deepcopy(members[0]).to("meta")
        self.mode = mode
        self.terms = vmap(self._member_terms) if mode == "vmap" else self._looped_terms

    def __len__(self) -> int:
        return len(self.members)

    def to(self, device: torch.device) -> PackedVAE:
        """Move the stacked state (leaf tensors that an optimiser can then own) to ``device``."""
        self.params = {
            name: p.detach().to(device).requires_grad_() for name, p in self.params.items()
        }
        self.buffers = {name: b.to(device) for name, b in self.buffers.items()}
        return self

    def hyperparameters(self, step: int, device: torch.device) -> Terms:
        """Each hyperparameter at ``step`` as a (K,) float32 tensor over the members."""
        values = [m.objective.hyperparameters(step) for m in self.members]
        return {
            name: torch.tensor([v[name] for v in values], dtype=torch.float32, device=device)
            for name in values[0]
        }

    def _member_terms(
        self, params: Terms, buffers: Terms, x: torch.Tensor, eps: torch.Tensor, hp: Terms
    ) -> Terms:
        """One member's loss terms and the KL of each latent dimension (``kl_dim``)."""
        out = functional_call(self.base, (params, buffers), (x,), {"eps": eps})
        return self.base.objective.terms(out, hp) | {"kl_dim": out.kl.mean(0)}

    def _looped_terms(
        self, params: Terms, buffers: Terms, x: torch.Tensor, eps: torch.Tensor, hp: Terms
    ) -> Terms:
        """What ``vmap(_member_terms)`` returns, computed member by member.

        ``unbind`` (not indexing) takes the members' slices: its backward stacks the K
        gradients once, where K separate index backwards would each write a full-size zero
        gradient.
        """
        params_k = {name: p.unbind(0) for name, p in params.items()}
        buffers_k = {name: b.unbind(0) for name, b in buffers.items()}
        per_member = [
            self._member_terms(
                {name: p[k] for name, p in params_k.items()},
                {name: b[k] for name, b in buffers_k.items()},
                x[k],
                eps[k],
                {name: h[k] for name, h in hp.items()},
            )
            for k in range(len(self))
        ]
        return {name: torch.stack([t[name] for t in per_member]) for name in per_member[0]}

    def unstack_into_members(self) -> None:
        """Copy member k's slice of the stacked parameters back into ``members[k]``."""
        with torch.no_grad():
            for k, member in enumerate(self.members):
                state = {name: p[k].detach().cpu() for name, p in self.params.items()}
                state |= {name: b[k].cpu() for name, b in self.buffers.items()}
                member.load_state_dict(state)
