"""retain_freed_memory: a training step of the study's conv VAE stops page-faulting."""

import subprocess
import sys

import pytest

from vae_study.host_memory import retain_freed_memory

STEP_FAULTS = """
import resource, torch
from vae_study.host_memory import retain_freed_memory
from vae_study.models.architectures import locatello_conv
torch.set_num_threads(1)
torch.manual_seed(0)
encoder, decoder = locatello_conv((1, 64, 64), 10, init="reference")
x = torch.rand(64, 1, 64, 64)
def step():
    mean, log_var = encoder(x)
    decoder(mean).square().mean().backward()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def faults_per_step():
    for _ in range(3):
        step()
    before = faults()
    for _ in range(5):
        step()
    return (faults() - before) / 5
released = faults_per_step()  # glibc's default first, then retained in the same process
assert retain_freed_memory()
print(released, faults_per_step())
"""

glibc = pytest.mark.skipif(not retain_freed_memory(), reason="needs glibc's mallopt")


def minor_faults_per_step() -> tuple[float, float]:
    """Page faults per step with glibc's default, then with freed memory retained."""
    result = subprocess.run(
        [sys.executable, "-c", STEP_FAULTS], capture_output=True, text=True, check=True
    )
    released, retained = result.stdout.split()[-2:]
    return float(released), float(retained)


@glibc
@pytest.mark.long
def test_retained_memory_removes_the_page_faults_of_a_training_step():
    released, retained = minor_faults_per_step()
    assert released > 1000  # glibc's default: each step maps its activations afresh
    assert retained < released / 20
