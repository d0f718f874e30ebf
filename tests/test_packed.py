"""Packed training (``vae_study.packed``): each member trains as its single run would."""

from __future__ import annotations

import functools

import lightning as L
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from vae_study.data.dsprites import DSprites
from vae_study.data.stream import BatchStream
from vae_study.data.torch_render import PackedStream
from vae_study.models.architectures import locatello_conv
from vae_study.models.module import VAEModule
from vae_study.models.objectives import DIPVAE, AnnealedVAE, BetaTCVAE, BetaVAE, Likelihood
from vae_study.packed.loop import PackedTrainer, member_generator
from vae_study.packed.model import PackedVAE, resolve_pack_mode

ADAM = {"lr": 1e-4, "betas": [0.9, 0.999], "eps": 1e-8}
STEPS = 4


def build(seed: int, objective, likelihood: str = "bernoulli") -> VAEModule:
    """A member as the single run builds it: global seed, then the module."""
    L.seed_everything(seed, verbose=False)
    return VAEModule(
        lambda d: locatello_conv((1, 64, 64), d, init="reference"), 10, Likelihood(likelihood),
        objective, ADAM, summary_window=STEPS,
    )  # fmt: skip


def single_run(seed: int, objective, data_seed: int) -> tuple[VAEModule, list[float]]:
    """The single path: Lightning on the module and its own stream, one thread, CPU."""
    module = build(seed, objective)
    losses = []

    class Losses(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            losses.append(float(outputs["loss"]))

    trainer = L.Trainer(
        accelerator="cpu", max_steps=STEPS, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, callbacks=[Losses()],
    )  # fmt: skip
    stream = BatchStream(DSprites(), 64, data_seed)
    trainer.fit(module, DataLoader(stream, batch_size=None, generator=torch.Generator()))
    return module, losses


def packed_run(
    specs: list[tuple[int, object, int]], mode: str = "vmap", **stream_options
) -> PackedTrainer:
    members, generators = [], []
    for seed, objective, _ in specs:
        members.append(build(seed, objective))
        generators.append(member_generator(torch.get_rng_state(), torch.device("cpu")))
    stream = PackedStream(DSprites(), 64, [s for _, _, s in specs], **stream_options)
    return PackedTrainer(PackedVAE(members, mode), stream, generators, ADAM, summary_window=STEPS)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# Three strengths of each objective: a pack's members, each with its own.
OBJECTIVES = {
    "beta_vae": lambda i: BetaVAE([1.0, 16.0, 4.0][i]),
    "annealed_vae": lambda i: AnnealedVAE(
        [5.0, 100.0, 25.0][i], gamma=1000.0, iteration_threshold=3
    ),
    "dip_vae_ii": lambda i: DIPVAE([1.0, 50.0, 5.0][i], 10.0, "ii"),
    "beta_tcvae": lambda i: BetaTCVAE([1.0, 10.0, 6.0][i]),
}
SPECS = [(0, 11), (5, 22)]  # (seed, data seed) of each member


@functools.cache
def single_state(name: str, k: int) -> tuple[dict[str, torch.Tensor], list[float]]:
    """Member ``k``'s single run of objective ``name``: its weights and losses (shared by the
    packing modes)."""
    seed, data_seed = SPECS[k]
    single, losses = single_run(seed, OBJECTIVES[name](k), data_seed)
    return single.state_dict(), losses


@pytest.mark.parametrize("name", list(OBJECTIVES))
@pytest.mark.parametrize("mode", ["vmap", "loop"])
def test_each_member_trains_exactly_as_its_single_run(name, mode):
    make = OBJECTIVES[name]
    trainer = packed_run([(seed, make(k), data) for k, (seed, data) in enumerate(SPECS)], mode)
    losses = [trainer.step()["loss"] for _ in range(STEPS)]
    trainer.pack.unstack_into_members()
    for k in range(len(SPECS)):
        single, single_losses = single_state(name, k)
        packed_losses = [float(step[k]) for step in losses]
        np.testing.assert_allclose(packed_losses, single_losses, rtol=1e-5)
        # Adam divides by sqrt(v): where a gradient is near zero, float rounding (a batched
        # matmul against a plain one) can flip its step, which Adam scales to about lr. So all
        # but a handful of weights agree to 1e-5, and every one to less than lr.
        packed_state = trainer.pack.members[k].state_dict()
        for key, value in single.items():
            difference = (packed_state[key] - value).abs()
            assert float(difference.max()) < ADAM["lr"], key
            assert int((difference > 1e-5 + 1e-5 * value.abs()).sum()) <= 4, key


@pytest.mark.parametrize("mode", ["vmap", "loop"])
def test_members_get_their_own_strength(mode):
    weak, strong = BetaVAE(1.0), BetaVAE(16.0)
    trainer = packed_run(
        [(3, weak, 1), (3, strong, 1)], mode
    )  # same seed and data: only beta differs
    terms = trainer.step()
    assert torch.equal(terms["kl"][0], terms["kl"][1])
    expected = terms["recon"] + torch.tensor([1.0, 16.0]) * terms["kl"]
    torch.testing.assert_close(terms["loss"], expected)
    hp = trainer.pack.hyperparameters(0, torch.device("cpu"))
    assert hp["beta"].tolist() == [1.0, 16.0]


@pytest.mark.parametrize("mode", ["vmap", "loop"])
def test_a_diverging_member_fails_alone(mode):
    specs = [(0, BetaVAE(1.0), 1), (1, BetaVAE(1.0), 2), (2, BetaVAE(1.0), 3)]
    trainer = packed_run(specs, mode)
    with torch.no_grad():  # member 1's decoder output becomes NaN
        trainer.pack.params["decoder.0.bias"][1].fill_(float("nan"))
    healthy = [p[0].detach().clone() for p in trainer.pack.params.values()]
    outcomes = trainer.fit(STEPS)
    assert [o.error is None for o in outcomes] == [True, False, True]
    assert "diverged" in outcomes[1].error and outcomes[1].steps == 0
    assert outcomes[0].steps == outcomes[2].steps == STEPS
    assert all(np.isfinite(v) for o in (outcomes[0], outcomes[2]) for v in o.final.values())
    moved = [p[0].detach() for p in trainer.pack.params.values()]
    assert all(torch.isfinite(p).all() for p in moved)
    assert any(not torch.equal(a, b) for a, b in zip(healthy, moved, strict=True))


def test_auto_pack_mode_vectorises_on_cuda_and_loops_on_cpu():
    assert resolve_pack_mode("auto", torch.device("cuda")) == "vmap"
    assert resolve_pack_mode("auto", torch.device("cpu")) == "loop"
    assert resolve_pack_mode("vmap", torch.device("cpu")) == "vmap"


def test_render_on_device_gives_the_host_batches():
    trainer = packed_run([(0, BetaVAE(1.0), 7), (1, BetaVAE(1.0), 9)], render_on_device=True)
    assert trainer.stream.renderer is not None
    for t in (0, 3):
        x = trainer.stream.batch(t)
        for k, seed in enumerate([7, 9]):
            assert torch.equal(x[k], torch.from_numpy(BatchStream(DSprites(), 64, seed).batch(t)))
