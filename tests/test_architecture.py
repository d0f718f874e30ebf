"""The layers of docs/architecture.md hold: imports point down, and the schema stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vae_study"

# Highest first; a module may import only from its own layer or a lower one.
LAYERS = {
    "entry points": ("vae_study.train", "vae_study.status", "vae_study.rescore",
                     "vae_study.rerun", "vae_study.analysis"),
    "lifecycle": ("vae_study.lifecycle", "vae_study.fitting", "vae_study.packed.fitter",
                  "vae_study.tracking", "vae_study.host"),
    "build": ("vae_study.build", "vae_study.checks", "vae_study.protocol"),
    "models, data, metrics": ("vae_study.models", "vae_study.packed", "vae_study.data",
                              "vae_study.metrics"),
    "records, config, errors": ("vae_study.results", "vae_study.config", "vae_study.sweep",
                                "vae_study.errors", "vae_study.host_memory", "vae_study.atomic",
                                "vae_study.signals", "vae_study.process_exit"),
}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    """The index of the layer holding ``module`` (0 = highest), by its longest matching prefix."""
    if module == "vae_study":  # the package's own docstring-only __init__
        return len(LAYERS) - 1
    matches = [
        (len(prefix), index)
        for index, prefixes in enumerate(LAYERS.values())
        for prefix in prefixes
        if module == prefix or module.startswith(f"{prefix}.")
    ]
    assert matches, f"{module} is in no layer of LAYERS"
    return max(matches)[1]


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside functions."""
    found = set()
    is_package = path.name == "__init__.py"
    here = module_name(path).split(".")
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here if is_package else here[:-1]
                base = ".".join(parent[: len(parent) - node.level + 1] + ([base] if base else []))
            found.add(base)
    return found


def test_no_module_imports_a_module_of_a_higher_layer():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        for target in imports(path):
            if target.split(".")[0] == "vae_study" and layer(target) < layer(name):
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_data_and_metrics_never_import_lightning():
    for folder in ("data", "metrics"):
        for path in (PACKAGE / folder).rglob("*.py"):
            assert not any(t.split(".")[0] == "lightning" for t in imports(path)), path


def test_the_config_schema_loads_neither_torch_nor_lightning():
    probe = "import sys, vae_study.config; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "'torch'" not in loaded and "'lightning'" not in loaded, loaded
