"""A hierarchical ("multi-layer") VAE: a directed chain of diagonal-Gaussian latent layers.

Generator: p(h^L) = N(0, I), p(h^{l-1} | h^l) = N(mu(h^l), diag sigma^2(h^l)), p(x | h^1) from the
configured decoder. Recognition network, in the reverse direction:
q(h^1 | x) q(h^2 | h^1) ... q(h^L | h^{L-1}), each sampled with the reparameterisation trick.
The first stage (x <-> h^1) is the configured architecture (the study's conv pair by default);
the stages between latent layers are small MLPs.

The negative ELBO is -E_q[log p(x | h^1)] + KL(q(h^L | h^{L-1}) || N(0, I)) (closed form) +
sum_{l<L} E_q[log q(h^l | h^{l-1}) - log p(h^l | h^{l+1})] (estimated from the same sample). The
objective's beta scales every KL-like term. With L = 1 this is exactly the flat VAE's loss.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vae_study.errors import ConfigError
from vae_study.models.module import Networks, VAEModule
from vae_study.models.objectives import (
    Forward,
    Likelihood,
    Objective,
    gaussian_kl,
    gaussian_log_density,
    reparameterize,
)

log = logging.getLogger(__name__)

REPRESENTATIONS = ("top", "bottom", "all")
COLLAPSE_NATS = 0.01  # a layer whose KL per dimension stays below this carries no information


class GaussianLayer(nn.Module):
    """A diagonal Gaussian over ``out_features`` given ``in_features``: MLP, mean, log-var."""

    def __init__(self, in_features: int, hidden: int, out_features: int) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU())
        self.mean = nn.Linear(hidden, out_features)
        self.log_var = nn.Linear(hidden, out_features)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.trunk(h)
        return self.mean(features), self.log_var(features)


class HierarchicalVAE(VAEModule):
    """A VAE with ``len(latent_widths)`` latent layers, bottom (next to x) first.

    ``representation`` picks the code the metrics score: ``top`` (the mean of h^L, obtained by
    passing means up the chain), ``bottom`` (the mean of h^1) or ``all`` (every layer's mean).
    """

    def __init__(
        self,
        networks: Networks,
        num_latent: int,
        likelihood: Likelihood,
        objective: Objective,
        optimizer: dict[str, Any],
        latent_widths: Sequence[int] = (32, 10),
        hidden: int = 256,
        representation: str = "top",
        summary_window: int = 100,
    ) -> None:
        widths = [int(w) for w in latent_widths]
        if not widths or min(widths) <= 0 or hidden <= 0:
            raise ConfigError(
                "model.module.latent_widths must be a non-empty list of positive sizes and "
                f"model.module.hidden positive, got {list(latent_widths)} and {hidden}"
            )
        if representation not in REPRESENTATIONS:
            raise ConfigError(
                f"model.module.representation must be one of {REPRESENTATIONS}, "
                f"got '{representation}'"
            )
        super().__init__(networks, widths[0], likelihood, objective, optimizer, summary_window)
        self.latent_widths = widths
        self.representation = representation
        pairs = list(itertools.pairwise(widths))
        self.up = nn.ModuleList(GaussianLayer(lower, hidden, upper) for lower, upper in pairs)
        self.down = nn.ModuleList(GaussianLayer(upper, hidden, lower) for lower, upper in pairs)

    def forward_pass(self, x: torch.Tensor) -> Forward:
        mean, log_var = self.encoder(x)
        means, log_vars, samples = [mean], [log_var], [reparameterize(mean, log_var)]
        for layer in self.up:
            mean, log_var = layer(samples[-1])
            means.append(mean)
            log_vars.append(log_var)
            samples.append(reparameterize(mean, log_var))
        decoded = self.decoder(samples[0])
        kl_lower = []
        for level, layer in enumerate(self.down):
            h = samples[level]
            log_q = gaussian_log_density(h, means[level], log_vars[level]).sum(1)
            prior_mean, prior_log_var = layer(samples[level + 1])
            log_p = gaussian_log_density(h, prior_mean, prior_log_var).sum(1)
            kl_lower.append(log_q - log_p)
        return Forward(
            x=x,
            mean=means[-1],
            log_var=log_vars[-1],
            z=samples[-1],
            decoded=decoded,
            recon=self.likelihood.nll(decoded, x),
            kl=gaussian_kl(means[-1], log_vars[-1]),
            kl_lower=kl_lower,
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        means = [self.encoder(x)[0]]
        for layer in self.up:
            means.append(layer(means[-1])[0])
        if self.representation == "top":
            return means[-1]
        if self.representation == "bottom":
            return means[0]
        return torch.cat(means, dim=1)

    def diagnostics(self, out: Forward) -> dict[str, torch.Tensor]:
        """The KL term of every layer (1 = next to x), batch means."""
        terms = {f"kl_layer/{level + 1}": kl.mean() for level, kl in enumerate(out.kl_lower)}
        terms[f"kl_layer/{len(self.latent_widths)}"] = out.kl.sum(1).mean()
        return terms

    def on_train_end(self) -> None:
        final = self.recent.means()
        for level, width in enumerate(self.latent_widths, start=1):
            kl = final.get(f"kl_layer/{level}")
            if kl is not None and kl / width < COLLAPSE_NATS:
                log.warning(
                    "latent layer %d collapsed: its KL is %.4f nats over %d dimensions, so it "
                    "carries (almost) no information about x",
                    level,
                    kl,
                    width,
                )
