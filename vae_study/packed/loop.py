"""The packed training loop: one Adam over stacked parameters, per-member noise and divergence.

What makes member k's training the same as its single run
(:class:`vae_study.fitting.lightning.LightningFitter` with
:class:`vae_study.models.module.VAEModule`), to float rounding:

- parameters: built by the single run's own code, then stacked (:class:`PackedVAE`);
- loss: the single run's own forward pass and objective, mapped over the members;
- data: batch t of member k is ``BatchStream(data, n, data_seed_k).batch(t)``
  (:class:`PackedStream`);
- noise: member k draws its reparameterisation noise from a generator holding the global RNG
  state its single run has after building the model, so it draws the same eps at every step;
- optimiser: Adam is elementwise, so one Adam over the stacked tensors is K Adams; the gradient
  of the sum of the members' losses with respect to member k's slice is that of its own loss;
- divergence: a member whose loss is not finite is masked out of the summed loss from that step
  on and reported failed with its step, as its single run stops there; the others go on.

Divergence is read back from the device every ``summary_window`` steps (not every step), so the
loop never waits on the device; the window of recent terms is kept twice as long for that.
Training curves are handed to a callback on the single run's logging steps, with the terms the
single run logs (:func:`vae_study.models.module.logged_terms`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from vae_study.data.torch_render import PackedStream
from vae_study.models.module import RecentTerms, TrainingDiverged, adam
from vae_study.packed.model import PackedVAE, Terms

PACKED_CHECKPOINT_FORMAT = "vae-study packed member 1"
CurveWriter = Callable[[int, Terms, torch.Tensor, torch.Tensor], None]
"""``write(step, terms, kl_per_dim, alive)``: the (K,) terms, (K, D) KL per dimension and (K,)
mask of members still training at a logging step."""


@dataclass(frozen=True)
class SpeedOptions:
    """Switches that change how fast a pack trains, not what it computes (``pack.*``)."""

    bf16: bool = False  # autocast the networks to bfloat16 (trainer.precision=bf16-mixed)
    compile: bool = False  # torch.compile the loss and its gradient
    cuda_graphs: bool = False  # compile with mode="reduce-overhead" (CUDA graphs)
    fused_adam: bool = False  # Adam(fused=True): one kernel for the whole update
    pack_mode: str = "auto"  # vmap | loop | auto (vmap on CUDA): see vae_study.packed.model


def member_generator(state: torch.Tensor, device: torch.device) -> torch.Generator:
    """A generator on ``device`` holding an RNG state: a member's global state right after its
    model was built, so that it draws the noise its single run draws."""
    generator = torch.Generator(device)
    generator.set_state(state)
    return generator


@dataclass
class MemberOutcome:
    """How one member's training ended: steps done, recent means of its terms, its failure."""

    steps: int
    final: dict[str, float]
    error: str | None = None


class PackedTrainer:
    """Trains a :class:`PackedVAE` on a :class:`PackedStream` with the study's Adam."""

    def __init__(
        self,
        pack: PackedVAE,
        stream: PackedStream,
        generators: list[torch.Generator],
        optimizer: dict,
        speed: SpeedOptions = SpeedOptions(),
        summary_window: int = 100,
    ) -> None:
        self.pack = pack
        self.stream = stream
        self.device = stream.device
        self.generators = generators
        self.speed = speed
        self.summary_window = summary_window
        self.num_latent = pack.members[0].encoder.mean.out_features
        self.optimizer = adam(
            [{"params": list(pack.params.values())}], optimizer, fused=speed.fused_adam or None
        )
        self.step_count = 0
        k = len(pack)
        self.alive = torch.ones(k, dtype=torch.bool, device=self.device)
        self.failed_at = torch.full((k,), -1, dtype=torch.long, device=self.device)
        self.failed_loss = torch.zeros(k, device=self.device)
        self.recent = RecentTerms(summary_window, keep=summary_window)
        self.last_kl_per_dim: torch.Tensor | None = None
        self._loss = self._build_loss()

    def _build_loss(self) -> Callable[..., Terms]:
        def loss(params: Terms, x: torch.Tensor, eps: torch.Tensor, hp: Terms) -> Terms:
            with torch.autocast(self.device.type, torch.bfloat16, enabled=self.speed.bf16):
                return self.pack.terms(params, self.pack.buffers, x, eps, hp)

        if self.speed.compile or self.speed.cuda_graphs:
            mode = "reduce-overhead" if self.speed.cuda_graphs else None
            return torch.compile(loss, mode=mode)
        return loss

    def noise(self) -> torch.Tensor:
        """Each member's reparameterisation noise for this step, (K, n, D)."""
        shape = (self.stream.batch_size, self.num_latent)
        return torch.stack(
            [torch.randn(shape, generator=g, device=self.device) for g in self.generators]
        )

    def step(self) -> Terms:
        """One optimisation step of every member; returns the (K,) terms, detached."""
        t = self.step_count
        x = self.stream.batch(t)
        hp = self.pack.hyperparameters(t, self.device)
        terms = self._loss(self.pack.params, x, self.noise(), hp)
        self.last_kl_per_dim = terms.pop("kl_dim").detach()
        finite = torch.isfinite(terms["loss"])
        newly = self.alive & ~finite
        self.failed_at = torch.where(newly, t, self.failed_at)
        self.failed_loss = torch.where(newly, terms["loss"].detach(), self.failed_loss)
        self.alive = self.alive & finite
        total = torch.where(self.alive, terms["loss"], torch.zeros_like(terms["loss"])).sum()
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        detached = {name: value.detach() for name, value in terms.items()}
        self.recent.add(t, detached)
        self.step_count += 1
        return detached

    def fit(
        self,
        steps: int,
        write_curves: CurveWriter | None = None,
        log_every: int = 50,
        save: Callable[[PackedTrainer], None] | None = None,
        save_every: int = 0,
    ) -> list[MemberOutcome]:
        """Train until ``steps`` or until every member has failed; then unstack the members.

        ``write_curves`` gets every ``log_every``-th step, as the single run's logger does;
        ``save(self)`` is called every ``save_every`` steps and when training ends.
        """
        while self.step_count < steps:
            terms = self.step()
            if write_curves is not None and self.step_count % log_every == 0:
                alive = self.alive & torch.isfinite(terms["loss"])
                write_curves(self.step_count - 1, terms, self.last_kl_per_dim, alive)
            if save is not None and save_every and self.step_count % save_every == 0:
                save(self)
            if self.step_count % self.summary_window == 0 and not bool(self.alive.any()):
                break
        if save is not None:
            save(self)
        self.pack.unstack_into_members()
        return self.outcomes()

    def member_state(self, k: int) -> dict[str, Any]:
        """Member ``k``'s part of the training state, for its own checkpoint: its parameters and
        Adam moments (its slices of the stacked tensors), its noise generator, its failure and
        recent terms, and the step (plain types and tensors: read with ``weights_only``)."""
        adam_state = [self.optimizer.state.get(p, {}) for p in self.pack.params.values()]
        return {
            "format": PACKED_CHECKPOINT_FORMAT,
            "step": self.step_count,
            "params": {name: p[k].detach().cpu() for name, p in self.pack.params.items()},
            "adam_step": [float(state["step"]) if state else 0.0 for state in adam_state],
            "exp_avg": [state["exp_avg"][k].cpu() if state else None for state in adam_state],
            "exp_avg_sq": [state["exp_avg_sq"][k].cpu() if state else None for state in adam_state],
            "generator": self.generators[k].get_state(),
            "alive": bool(self.alive[k]),
            "failed_at": int(self.failed_at[k]),
            "failed_loss": float(self.failed_loss[k]),
            "recent": [
                (step, {n: v[k] for n, v in terms.items()}) for step, terms in self.recent.state()
            ],
        }

    def load_member_states(self, states: list[dict[str, Any]]) -> None:
        """Continue from the members' :meth:`member_state` (all at the same step)."""
        steps = {state["step"] for state in states}
        if len(steps) != 1:
            raise ValueError(f"a pack resumes from one step, its members are at {sorted(steps)}")
        with torch.no_grad():
            for name, p in self.pack.params.items():
                p.copy_(torch.stack([s["params"][name] for s in states]).to(p.device))
        for i, p in enumerate(self.pack.params.values()):
            if states[0]["exp_avg"][i] is not None:
                step_device = p.device if self.speed.fused_adam else torch.device("cpu")
                self.optimizer.state[p] = {
                    "step": torch.tensor(states[0]["adam_step"][i], device=step_device),
                    "exp_avg": torch.stack([s["exp_avg"][i] for s in states]).to(p.device),
                    "exp_avg_sq": torch.stack([s["exp_avg_sq"][i] for s in states]).to(p.device),
                }
        for generator, state in zip(self.generators, states, strict=True):
            generator.set_state(state["generator"])
        device = self.device
        self.alive = torch.tensor([s["alive"] for s in states], device=device)
        self.failed_at = torch.tensor([s["failed_at"] for s in states], device=device)
        self.failed_loss = torch.tensor([s["failed_loss"] for s in states], device=device)
        recent = zip(*(s["recent"] for s in states), strict=True)
        self.recent.load([
            (members[0][0], {n: torch.stack([t[n] for _, t in members]) for n in members[0][1]})
            for members in recent
        ])  # fmt: skip
        self.step_count = steps.pop()

    def outcomes(self) -> list[MemberOutcome]:
        """Per member: steps trained, recent means (the single run's ``train.final``), failure."""
        failed_at = self.failed_at.tolist()
        failed_loss = self.failed_loss.tolist()
        outcomes = []
        for k, failed in enumerate(failed_at):
            end = self.step_count if failed < 0 else failed
            error = None
            if failed >= 0:
                diverged = TrainingDiverged(failed_loss[k], failed)
                error = f"{type(diverged).__name__}: {diverged}"
            final = self.recent.means(before=end, member=k)
            outcomes.append(MemberOutcome(steps=end, final=final, error=error))
        return outcomes
