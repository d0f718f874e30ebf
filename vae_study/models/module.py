"""The LightningModule shared by every VAE: encoder, decoder, likelihood and objective.

The module is generic: the objective (beta-VAE, ...) is a small ``nn.Module`` that turns one
forward pass into named loss terms, so adding an objective never touches the training loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import nn

from vae_study.models.objectives import (
    Forward,
    Likelihood,
    Objective,
    gaussian_kl,
    reparameterize,
)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite at a training step."""

    def __init__(self, loss: float, step: int) -> None:
        super().__init__(
            f"training diverged: loss is {loss} at step {step}; "
            "lower train.optimizer.lr or the regularisation strength"
        )


class RecentTerms:
    """The loss terms of the last ``window`` training steps, for the record's ``train.final``.

    Terms are tensors of any shape (one value for a single run, one per member for a pack);
    ``keep`` extra steps are held so that a pack, which reads divergence back only every few
    steps, still has a full window before a member's failure.
    """

    def __init__(self, window: int, keep: int = 0) -> None:
        self.window = window
        self._steps: deque[tuple[int, dict[str, torch.Tensor]]] = deque(maxlen=window + keep)

    def add(self, step: int, terms: Mapping[str, torch.Tensor]) -> None:
        self._steps.append((step, {name: value.detach() for name, value in terms.items()}))

    def state(self) -> list[tuple[int, dict[str, torch.Tensor]]]:
        """The held steps and their terms, for a checkpoint (plain types and tensors)."""
        return [(step, dict(terms)) for step, terms in self._steps]

    def load(self, state: list[tuple[int, dict[str, torch.Tensor]]]) -> None:
        """Hold the steps of a checkpoint's :meth:`state` again."""
        self._steps.clear()
        self._steps.extend((int(step), dict(terms)) for step, terms in state)

    def means(self, before: int | None = None, member: int | None = None) -> dict[str, float]:
        """Each term averaged over the last ``window`` steps before step ``before`` (all if
        None), for pack member ``member`` (None for a single run)."""
        steps = [terms for step, terms in self._steps if before is None or step < before]
        steps = steps[-self.window :]
        if not steps:
            return {}
        pick = (lambda v: v) if member is None else (lambda v: v[member])
        return {
            name: float(torch.stack([pick(terms[name]) for terms in steps]).mean())
            for name in steps[0]
        }


def logged_terms(terms: Mapping[str, torch.Tensor], kl_per_dim: torch.Tensor) -> dict[str, Any]:
    """What a logging step writes to the training curves: every term, and the KL of each latent
    dimension (``train/kl_dim/<i>``), by which a user sees which units are active."""
    return {f"train/{name}": value for name, value in terms.items()} | {
        f"train/kl_dim/{i}": kl_per_dim[i] for i in range(len(kl_per_dim))
    }


def adam(
    groups: list[dict], settings: Mapping[str, Any], fused: bool | None = None
) -> torch.optim.Adam:
    """The study's optimiser (``train.optimizer``): Adam with the configured lr, betas and eps
    for every parameter group that does not bring its own."""
    lr, betas, eps = (settings[key] for key in ("lr", "betas", "eps"))
    return torch.optim.Adam(groups, lr=lr, betas=tuple(betas), eps=eps, fused=fused)


Networks = Callable[[int], tuple[nn.Module, nn.Module]]
"""``networks(num_latent) -> (encoder, decoder)``: the configured architecture for one code size."""


class VAEModule(L.LightningModule):
    """Trains an encoder/decoder pair under ``objective`` with Adam, on a stream of batches.

    The encoder is Gaussian (it returns mean and log-variance); the code scored by the metrics
    is the mean (:meth:`encode`).
    """

    def __init__(
        self,
        networks: Networks,
        num_latent: int,
        likelihood: Likelihood,
        objective: Objective,
        optimizer: dict[str, Any],
        summary_window: int = 100,
    ) -> None:
        super().__init__()
        self.encoder, self.decoder = networks(num_latent)
        self.likelihood = likelihood
        self.objective = objective
        self.optimizer_settings = dict(optimizer)
        self.batches_seen = 0
        self.recent = RecentTerms(summary_window)

    def forward_pass(self, x: torch.Tensor, eps: torch.Tensor | None = None) -> Forward:
        """Encode, sample z (with the noise ``eps`` if given), decode, and score the batch.

        Encoder and decoder outputs are taken in float32, so that under bf16 autocast the
        likelihood and the KL are computed in full precision.
        """
        mean, log_var = self.encoder(x)
        z = reparameterize(mean, log_var, eps)
        decoded = self.decoder(z).float()
        mean, log_var = mean.float(), log_var.float()
        return Forward(
            x=x,
            mean=mean,
            log_var=log_var,
            z=z.float(),
            decoded=decoded,
            recon=self.likelihood.nll(decoded, x),
            kl=gaussian_kl(mean, log_var),
        )

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None) -> Forward:
        return self.forward_pass(x, eps)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The representation of a batch: the encoder mean, (n, D)."""
        return self.encoder(x)[0]

    def diagnostics(self, out: Forward) -> dict[str, torch.Tensor]:
        """Extra quantities of a forward pass to log and summarise (none for a flat VAE)."""
        return {}

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        out = self.forward_pass(batch)
        terms = self.objective(out, self.batches_seen)
        loss = terms["loss"] + terms.get("adversary_loss", 0.0)
        if not torch.isfinite(loss):
            raise TrainingDiverged(loss.item(), self.batches_seen)
        terms.update(self.diagnostics(out))
        self.recent.add(self.batches_seen, terms)
        self.batches_seen += 1
        if self._shows_progress():
            self.log("loss", loss, prog_bar=True, logger=False)
        if self._is_logging_step():
            self.log_dict(logged_terms(terms, out.kl.detach().mean(0)))
        return loss

    def _shows_progress(self) -> bool:
        """Whether a progress bar shows the loss. Without one (``trainer.enable_progress_bar:
        false``, as in sweeps) the step skips ``self.log``, which costs 1.7 ms a step: about 2% of
        a CPU step (docs/performance.md)."""
        return self._trainer is not None and self.trainer.progress_bar_callback is not None

    def _is_logging_step(self) -> bool:
        """Whether the loggers write this step: Lightning's own rule, every
        ``log_every_n_steps`` batches (counted by ``batches_seen``, already incremented).

        Logging the other steps' terms too would change no logged value (a step-level value is
        written only on these steps) but cost more than the whole Lightning loop: each
        ``self.log`` walks Lightning's result collection, and 15 keys per step made our training
        step about 15% slower than a plain PyTorch loop.
        """
        if self._trainer is None:
            return False
        return self.batches_seen % self.trainer.log_every_n_steps == 0

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """One Adam: the model's parameters with the study's settings, plus any parameter
        groups the objective brings with settings of their own (FactorVAE's discriminator)."""
        extra = self.objective.parameter_groups()
        claimed = {id(p) for group in extra for p in group["params"]}
        model = [p for p in self.parameters() if id(p) not in claimed]
        return adam([{"params": model}, *extra], self.optimizer_settings)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """What a resumed run needs to end as an uninterrupted one, beside Lightning's state: the
        step, the global RNG state (the reparameterisation noise) and the recent loss terms
        (the record's ``train.final``)."""
        checkpoint["batches_seen"] = self.batches_seen
        checkpoint["torch_rng_state"] = torch.get_rng_state()
        checkpoint["recent_terms"] = self.recent.state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.batches_seen = checkpoint["batches_seen"]
        torch.set_rng_state(checkpoint["torch_rng_state"])
        self.recent.load(checkpoint["recent_terms"])


def representation_function(
    module: VAEModule, batch_size: int = 1024
) -> Callable[[np.ndarray], np.ndarray]:
    """``represent(observations) -> (n, D)``: the module's code, batched, without gradients.

    The study scores the mean representation (``postprocess_configs/mean.gin``).
    """
    parameter = next(module.parameters())

    @torch.no_grad()
    def represent(observations: np.ndarray) -> np.ndarray:
        was_training = module.training
        module.eval()
        codes = []
        for start in range(0, len(observations), batch_size):
            x = torch.as_tensor(observations[start : start + batch_size])
            codes.append(module.encode(x.to(parameter.device, parameter.dtype)).float().cpu())
        module.train(was_training)
        return torch.cat(codes).numpy()

    return represent
