"""retain_freed_memory: a training step of the study's conv VAE stops page-faulting."""

import subprocess
import sys

import pytest

from vae_study.host_memory import retain_freed_memory

STEP_FAULTS = """
import resource, sys, torch
from vae_study.host_memory import retain_freed_memory
from vae_study.models.architectures import locatello_conv
torch.set_num_threads(1)
if sys.argv[1] == "retain":
    assert retain_freed_memory()
torch.manual_seed(0)
encoder, decoder = locatello_conv((1, 64, 64), 10)
x = torch.rand(64, 1, 64, 64)
def step():
    mean, log_var = encoder(x)
    decoder(mean).square().mean().backward()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    step()
before = faults()
for _ in range(5):
    step()
print((faults() - before) / 5)
"""

glibc = pytest.mark.skipif(not retain_freed_memory(), reason="needs glibc's mallopt")


def minor_faults_per_step(mode: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", STEP_FAULTS, mode], capture_output=True, text=True, check=True
    )
    return float(result.stdout.split()[-1])


@glibc
def test_retained_memory_removes_the_page_faults_of_a_training_step():
    released, retained = minor_faults_per_step("release"), minor_faults_per_step("retain")
    assert released > 1000  # glibc's default: each step maps its activations afresh
    assert retained < released / 20
