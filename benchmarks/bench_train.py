"""Training throughput of the study's conv beta-VAE at batch 64: plain loop, Lightning, packed.

``python benchmarks/bench_train.py [--device cpu|cuda] [--packs 1 4 16] [--repeats 5]
[--steps 12] [--quick] [--out results/bench/train_cpu.json]`` prints one table: images/s and
model-steps/s (medians over repeats, min..max) for

- ``plain``: a hand-written PyTorch loop (encoder, reparameterisation, decoder, the study's
  loss, Adam) drawing each batch from the dSprites stream, the floor our paths are held to;
- ``lightning``: our single-model path, ``VAEModule`` under ``lightning.Trainer`` as in
  ``vae_study.fitting.lightning`` (logging and progress bar off);
- ``packed K mode``: ``vae_study.packed`` with K members (own seeds, streams and noise),
  evaluated as one ``vmap`` or member by member (``loop``); ``--pack-modes`` picks which
  (default: both on a CPU, where ``pack.mode=auto`` chooses by this measurement,
  and ``vmap`` on CUDA).

It also counts FLOP per image forward and per training step (``torch.utils.flop_counter``) and
reports achieved TFLOP/s; on CUDA it measures the device's bf16 matmul rate (8192^3 matmuls) and
reports each path's fraction of it, and projects the GPU-days of the full study (12,600 models x
300,000 steps). ``--speed`` turns on packed-path switches (bf16, compile, ...). The table and a
JSON of every number go to ``--out``. ``--host-memory`` is ``retain`` (what ``vae-study`` does
with its default ``train.retain_host_memory: true``, for every row alike) or ``release`` (glibc's
default, for the comparison in docs/performance.md); an empty ``--packs`` leaves the packed rows
out.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader
from torch.utils.flop_counter import FlopCounterMode

from vae_study.data.dsprites import DSprites
from vae_study.data.stream import BatchStream
from vae_study.data.torch_render import PackedStream
from vae_study.host_memory import retain_freed_memory
from vae_study.models.architectures import locatello_conv
from vae_study.models.module import VAEModule
from vae_study.models.objectives import BetaVAE, Likelihood, bernoulli_nll, gaussian_kl
from vae_study.packed.loop import PackedTrainer, SpeedOptions, member_generator
from vae_study.packed.model import PackedVAE

ADAM = {"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8}
BATCH = 64
STUDY_MODEL_STEPS = 12_600 * 300_000


def module(seed: int) -> VAEModule:
    torch.manual_seed(seed)
    return VAEModule(
        lambda d: locatello_conv((1, 64, 64), d, init="reference"),
        10,
        Likelihood(),
        BetaVAE(4.0),
        ADAM,
    )


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(
    run: Callable[[int], None], device: torch.device, steps: int, repeats: int
) -> list[float]:
    """Seconds per step of ``run(steps)`` over ``repeats`` repetitions, after one warm-up."""
    run(max(2, steps // 4))
    seconds = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        run(steps)
        sync(device)
        seconds.append((time.perf_counter() - start) / steps)
    return seconds


def plain(device: torch.device, steps: int, repeats: int) -> list[float]:
    encoder, decoder = locatello_conv((1, 64, 64), 10, init="reference")
    encoder, decoder = encoder.to(device), decoder.to(device)
    parameters = [*encoder.parameters(), *decoder.parameters()]
    optimizer = torch.optim.Adam(parameters, **ADAM)
    stream = BatchStream(DSprites(), BATCH, seed=0)
    state = {"t": 0}

    def run(n: int) -> None:
        for _ in range(n):
            x = torch.from_numpy(stream.batch(state["t"])).to(device)
            state["t"] += 1
            mean, log_var = encoder(x)
            z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
            recon = bernoulli_nll(decoder(z), x).mean()
            loss = recon + 4.0 * gaussian_kl(mean, log_var).sum(1).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return timed(run, device, steps, repeats)


class _Clock(L.Callback):
    """Times Lightning's training steps ``warmup`` .. ``warmup + steps - 1``, from the start of
    the first to the end of the last, so setup and teardown of ``fit`` are left out as they are
    from the plain loop."""

    def __init__(self, warmup: int, steps: int, device: torch.device) -> None:
        self.warmup, self.steps, self.device, self.start, self.end = warmup, steps, device, 0.0, 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx == self.warmup:
            sync(self.device)
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if batch_idx == self.warmup + self.steps - 1:
            sync(self.device)
            self.end = time.perf_counter()


def lightning(device: torch.device, steps: int, repeats: int) -> list[float]:
    seconds = []
    for repeat in range(repeats):
        clock = _Clock(max(2, steps // 4), steps, device)
        trainer = L.Trainer(
            accelerator="gpu" if device.type == "cuda" else "cpu", devices=1,
            max_steps=clock.warmup + steps, logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False, callbacks=[clock],
            num_sanity_val_steps=0,
        )  # fmt: skip
        loader = DataLoader(
            BatchStream(DSprites(), BATCH, repeat), batch_size=None, generator=torch.Generator()
        )
        trainer.fit(module(repeat), loader)
        seconds.append((clock.end - clock.start) / steps)
    return seconds


def packed(
    device: torch.device, k: int, steps: int, repeats: int, speed: SpeedOptions, mode: str
) -> list[float]:
    members, generators = [], []
    for seed in range(k):
        members.append(module(seed))
        state = torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.get_rng_state()
        generators.append(member_generator(state, device))
    pack = PackedVAE(members, mode).to(device)
    stream = PackedStream(DSprites(), BATCH, list(range(k)), device)
    trainer = PackedTrainer(pack, stream, generators, ADAM, speed)

    def run(n: int) -> None:
        for _ in range(n):
            trainer.step()

    return timed(run, device, steps, repeats)


def flops_per_step() -> tuple[int, int]:
    """FLOP of one image's forward pass and of one training step (forward + backward) at 64."""
    vae = module(0)
    x = torch.from_numpy(BatchStream(DSprites(), BATCH, 0).batch(0))
    with FlopCounterMode(display=False) as forward:
        with torch.no_grad():
            vae.forward_pass(x)
    with FlopCounterMode(display=False) as step:
        vae.objective(vae.forward_pass(x), 0)["loss"].backward()
    return forward.get_total_flops() // BATCH, step.get_total_flops()


def matmul_rate(device: torch.device, size: int) -> float:
    """Measured dense matmul FLOP/s (bf16 on CUDA, fp32 on CPU)."""
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    sync(device)
    repeats = 20 if device.type == "cuda" else 3
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    sync(device)
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--packs", type=int, nargs="*", default=[1, 4, 16])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--quick", action="store_true", help="2 repeats of 3 steps: a dry run")
    switches = sorted(n for n, t in SpeedOptions.__annotations__.items() if t == "bool")
    parser.add_argument("--speed", nargs="*", default=[], choices=switches)
    parser.add_argument("--pack-modes", nargs="+", choices=("vmap", "loop"), default=None)
    parser.add_argument("--host-memory", choices=("retain", "release"), default="retain")
    parser.add_argument("--out", type=Path, default=Path("results/bench/train_cpu.json"))
    args = parser.parse_args()
    if args.host_memory == "retain" and not retain_freed_memory():
        parser.error("--host-memory retain needs glibc's mallopt: pass --host-memory release")
    if args.quick:
        args.repeats, args.steps = 2, 3
    device = torch.device(args.device)
    modes = args.pack_modes or (["vmap"] if device.type == "cuda" else ["loop", "vmap"])
    speed = SpeedOptions(**{name: True for name in args.speed})
    forward_flops, step_flops = flops_per_step()
    peak = matmul_rate(device, 8192 if device.type == "cuda" else 2048)
    name = torch.cuda.get_device_name() if device.type == "cuda" else platform.processor()
    lines = [
        f"# {name or platform.machine()}, {torch.get_num_threads()} threads, torch "
        f"{torch.__version__}, batch {BATCH}, speed {args.speed or 'off'}, host memory "
        f"{args.host_memory}",
        f"# FLOP per image forward {forward_flops / 1e6:.1f} M, per training step "
        f"{step_flops / 1e9:.2f} G; measured matmul rate {peak / 1e12:.2f} TFLOP/s",
        f"{'path':<15} {'images/s':>10} {'model-steps/s':>14} {'min..max':>15} "
        f"{'TFLOP/s':>8} {'of peak':>8} {'study GPU-days':>15}",
    ]
    # plain and Lightning alternate, so a drift in the machine's speed reaches both alike
    rows: dict[str, list[float]] = {"plain": [], "lightning": []}
    for _ in range(args.repeats):
        rows["plain"] += plain(device, args.steps, 1)
        rows["lightning"] += lightning(device, args.steps, 1)
    for k in args.packs:
        for mode in modes:
            seconds = packed(device, k, args.steps, args.repeats, speed, mode)
            rows[f"packed {k} {mode}"] = [s / k for s in seconds]
    table = {}
    for path, seconds in rows.items():
        rates = [1 / s for s in seconds]
        rate = statistics.median(rates)
        days = STUDY_MODEL_STEPS / rate / 86_400
        lines.append(
            f"{path:<15} {BATCH * rate:>10.0f} {rate:>14.1f} "
            f"{f'{min(rates):.1f}..{max(rates):.1f}':>15} {rate * step_flops / 1e12:>8.3f} "
            f"{rate * step_flops / peak:>8.1%} {days:>15.0f}"
        )
        table[path] = {"model_steps_per_s": rates, "median": rate, "study_days": days}
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    summary = {"forward_flops_per_image": forward_flops, "flops_per_step": step_flops,
               "matmul_flops_per_s": peak, "rows": table, "speed": args.speed,
               "host_memory": args.host_memory}  # fmt: skip
    args.out.write_text(json.dumps(summary, indent=1, default=float))


if __name__ == "__main__":
    main()
