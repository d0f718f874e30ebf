"""The LightningModule shared by every VAE: encoder, decoder, likelihood and objective.

The module is generic: the objective (beta-VAE, ...) is a small ``nn.Module`` that turns one
forward pass into named loss terms, so adding an objective never touches the training loop.
"""

from __future__ import annotations

from collections.abc import Callable
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
    """The loss became NaN or infinite."""


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
        self.summary_window = summary_window
        self.batches_seen = 0
        self._recent: list[dict[str, torch.Tensor]] = []

    def forward_pass(self, x: torch.Tensor) -> Forward:
        mean, log_var = self.encoder(x)
        z = reparameterize(mean, log_var)
        decoded = self.decoder(z)
        return Forward(
            x=x,
            mean=mean,
            log_var=log_var,
            z=z,
            decoded=decoded,
            recon=self.likelihood.nll(decoded, x),
            kl=gaussian_kl(mean, log_var),
        )

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
            raise TrainingDiverged(
                f"training diverged: loss is {loss.item()} at step {self.batches_seen}; "
                "lower train.optimizer.lr or the regularisation strength"
            )
        self.batches_seen += 1
        terms.update(self.diagnostics(out))
        if self._shows_progress():
            self.log("loss", loss, prog_bar=True, logger=False)
        if self._is_logging_step():
            kl_per_dim = out.kl.detach().mean(0)
            self.log_dict(
                {f"train/{name}": value for name, value in terms.items()}
                | {f"train/kl_dim/{i}": kl_per_dim[i] for i in range(len(kl_per_dim))}
            )
        self._recent.append({name: value.detach() for name, value in terms.items()})
        del self._recent[: -self.summary_window]
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
        lr, betas, eps = (self.optimizer_settings[key] for key in ("lr", "betas", "eps"))
        return torch.optim.Adam([{"params": model}, *extra], lr=lr, betas=tuple(betas), eps=eps)

    def recent_means(self) -> dict[str, float]:
        """Each loss term averaged over the last ``summary_window`` training steps."""
        if not self._recent:
            return {}
        return {
            name: float(torch.stack([terms[name] for terms in self._recent]).mean())
            for name in self._recent[0]
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["batches_seen"] = self.batches_seen
        checkpoint["torch_rng_state"] = torch.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.batches_seen = checkpoint["batches_seen"]
        torch.set_rng_state(checkpoint["torch_rng_state"])


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
