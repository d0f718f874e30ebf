"""K VAEs of one architecture evaluated as one vectorised computation over a model axis.

Each member is a :class:`vae_study.models.module.VAEModule` built exactly as its single run
builds it; :class:`PackedVAE` stacks their parameters (``torch.func.stack_module_state``) and
maps one member's forward pass and objective over the model axis with ``torch.func.vmap`` and
``functional_call`` (the recipe of the PyTorch tutorial "Model ensembling"). Under ``vmap`` a
convolution with stacked weights becomes one grouped convolution and a linear layer one batched
matmul, so K small models make one large kernel per layer. That pays on a GPU; on a CPU the
grouped convolutions measured about half the speed of K separate ones (``make bench``), so there
the members are evaluated one after the other on their slices of the same stacked parameters
(``mode="loop"``): one process, one data stream, one Adam, and each member at single-run speed.

Objectives enter as functions of a :class:`Forward` and per-member hyperparameter tensors
(beta, gamma and the annealed capacity, lambda_od and lambda_d), the formulas of
:mod:`vae_study.models.objectives`; ``tests/test_packed.py`` checks them against those classes.
FactorVAE (a discriminator with its own optimiser) and the hierarchical VAE are not packed:
their packs train as single runs one after another (:mod:`vae_study.packed.run`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from vae_study.errors import ConfigError
from vae_study.models.module import VAEModule
from vae_study.models.objectives import (
    DIPVAE,
    AnnealedVAE,
    BetaTCVAE,
    BetaVAE,
    Forward,
    Objective,
    covariance_of_means,
    dip_penalty,
    gaussian_kl,
    total_correlation,
)

Terms = dict[str, torch.Tensor]
PACK_MODES = ("auto", "vmap", "loop")


def resolve_pack_mode(mode: str, device: torch.device) -> str:
    """``trainer.speed.pack_mode``: ``auto`` is ``vmap`` on CUDA and ``loop`` elsewhere."""
    if mode not in PACK_MODES:
        raise ConfigError(f"trainer.speed.pack_mode must be one of {PACK_MODES}, got {mode!r}")
    if mode == "auto":
        return "vmap" if device.type == "cuda" else "loop"
    return mode


def _beta_vae(objective: BetaVAE, out: Forward, hp: Terms) -> Terms:
    recon, kl = out.recon.mean(), out.total_kl()
    return {"loss": recon + hp["beta"] * kl, "recon": recon, "kl": kl}


def _annealed_vae(objective: AnnealedVAE, out: Forward, hp: Terms) -> Terms:
    recon, kl = out.recon.mean(), out.total_kl()
    loss = recon + hp["gamma"] * (kl - hp["capacity"]).abs()
    return {"loss": loss, "recon": recon, "kl": kl, "capacity": hp["capacity"]}


def _dip_vae(objective: DIPVAE, out: Forward, hp: Terms) -> Terms:
    recon, kl = out.recon.mean(), out.total_kl()
    covariance = covariance_of_means(out.mean)
    if objective.dip_type == "ii":
        covariance = covariance + torch.diag(out.log_var.exp().mean(0))
    penalty = dip_penalty(covariance, hp["lambda_od"], hp["lambda_d"])
    return {"loss": recon + kl + penalty, "recon": recon, "kl": kl, "dip_penalty": penalty}


def _beta_tcvae(objective: BetaTCVAE, out: Forward, hp: Terms) -> Terms:
    recon, kl = out.recon.mean(), out.total_kl()
    tc = total_correlation(out.z, out.mean, out.log_var)
    return {"loss": recon + kl + (hp["beta"] - 1.0) * tc, "recon": recon, "kl": kl, "tc": tc}


@dataclass(frozen=True)
class PackedObjective:
    """How one objective class is packed: its per-member hyperparameters at a step, its terms."""

    hyperparameters: Callable[[Objective, int], dict[str, float]]
    terms: Callable[[Objective, Forward, Terms], Terms]


PACKED_OBJECTIVES: dict[type, PackedObjective] = {
    BetaVAE: PackedObjective(lambda o, step: {"beta": o.beta}, _beta_vae),
    AnnealedVAE: PackedObjective(
        lambda o, step: {"gamma": o.gamma, "capacity": o.capacity(step)}, _annealed_vae
    ),
    DIPVAE: PackedObjective(
        lambda o, step: {"lambda_od": o.lambda_od, "lambda_d": o.lambda_d}, _dip_vae
    ),
    BetaTCVAE: PackedObjective(lambda o, step: {"beta": o.beta}, _beta_tcvae),
}


class Networks(nn.Module):
    """One member's encoder, reparameterisation with given noise, and decoder."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, ...]:
        mean, log_var = self.encoder(x)
        z = mean + torch.exp(0.5 * log_var) * eps  # objectives.reparameterize with eps given
        return mean, log_var, z, self.decoder(z)


def check_packable(members: list[VAEModule]) -> None:
    """Members must share module class, objective class (and DIP type) and likelihood."""
    first = members[0]
    if type(first) is not VAEModule or type(first.objective) not in PACKED_OBJECTIVES:
        raise ConfigError(
            f"trainer.pack > 1 packs {sorted(c.__name__ for c in PACKED_OBJECTIVES)} on "
            f"VAEModule; got {type(first.objective).__name__} on {type(first).__name__}: "
            "use trainer.pack=1"
        )
    for member in members[1:]:
        same = (
            type(member) is type(first)
            and type(member.objective) is type(first.objective)
            and getattr(member.objective, "dip_type", None)
            == getattr(first.objective, "dip_type", None)
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
        self.objective = members[0].objective
        self.spec = PACKED_OBJECTIVES[type(self.objective)]
        self.likelihood = members[0].likelihood
        networks = [Networks(m.encoder, m.decoder) for m in members]
        self.params, self.buffers = stack_module_state(networks)  # name -> (K, ...)
        self.base = copy.deepcopy(networks[0]).to("meta")
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
        values = [self.spec.hyperparameters(m.objective, step) for m in self.members]
        return {
            name: torch.tensor([v[name] for v in values], dtype=torch.float32, device=device)
            for name in values[0]
        }

    def _member_terms(
        self, params: Terms, buffers: Terms, x: torch.Tensor, eps: torch.Tensor, hp: Terms
    ) -> Terms:
        mean, log_var, z, decoded = functional_call(self.base, (params, buffers), (x, eps))
        decoded = decoded.float()  # under bf16 autocast: the likelihood in float32
        out = Forward(
            x=x,
            mean=mean.float(),
            log_var=log_var.float(),
            z=z.float(),
            decoded=decoded,
            recon=self.likelihood.nll(decoded, x),
            kl=gaussian_kl(mean.float(), log_var.float()),
        )
        return self.spec.terms(self.objective, out, hp)

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
                member.load_state_dict(state, strict=False)
