"""Training throughput of the study's conv beta-VAE at batch 64, by number of torch threads.

``python benchmarks/bench_train.py [--threads 1 2] [--repeats 5] [--steps 30]`` prints images/s
(median and spread over repeats) for one optimisation step of ``locatello_conv`` + beta-VAE +
Adam: on a fixed batch ("model only") and drawing each batch from the procedural dSprites stream
("with data"), as a run does. Each thread count runs in its own process so settings don't leak.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time


def measure(threads: int, repeats: int, steps: int) -> dict[str, list[float]]:
    import torch

    from vae_study.data.dsprites import DSprites
    from vae_study.data.stream import BatchStream
    from vae_study.models.architectures import locatello_conv
    from vae_study.models.module import VAEModule
    from vae_study.models.objectives import BetaVAE, Likelihood

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    encoder, decoder = locatello_conv((1, 64, 64), 10)
    adam = {"lr": 1e-4, "betas": (0.9, 0.999), "eps": 1e-8}
    module = VAEModule(encoder, decoder, Likelihood(), BetaVAE(4.0), adam)
    optimizer = module.configure_optimizers()
    stream = BatchStream(DSprites(), 64, seed=0)
    fixed = torch.from_numpy(stream.batch(0))

    def step(x: torch.Tensor) -> None:
        loss = module.objective(module.forward_pass(x), 0)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    results: dict[str, list[float]] = {"model only": [], "with data": []}
    for _ in range(5):
        step(fixed)
    for repeat in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step(fixed)
        results["model only"].append(64 * steps / (time.perf_counter() - start))
        start = time.perf_counter()
        for t in range(steps):
            step(torch.from_numpy(stream.batch(repeat * steps + t)))
        results["with data"].append(64 * steps / (time.perf_counter() - start))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(measure(args.worker, args.repeats, args.steps)))
        return
    import torch

    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, batch 64")
    print(f"{'threads':>7}  {'path':<10}  {'images/s (median)':>17}  {'min..max':>13}")
    for threads in args.threads:
        command = [sys.executable, __file__, "--worker", str(threads)]
        command += ["--repeats", str(args.repeats), "--steps", str(args.steps)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        for path, values in json.loads(output).items():
            spread = f"{min(values):.0f}..{max(values):.0f}"
            print(f"{threads:>7}  {path:<10}  {statistics.median(values):>17.0f}  {spread:>13}")


if __name__ == "__main__":
    main()
