"""Training progress of one run or a pack: steps, loss and time left, and an early warning when
the configured run would take hours here.

On a terminal (and with ``trainer.enable_progress_bar: true``) a tqdm bar counts steps, not
epochs; elsewhere (a log file, a Slurm task, a sweep) a plain log line every minute says the
same, so a log never fills with carriage returns. After the first few steps the rate is known:
when the rest of the run would take more than an hour at that rate, one line says so and points
to the CPU-sized demo.
"""

from __future__ import annotations

import logging
import sys
import time

from tqdm import tqdm

log = logging.getLogger(__name__)

LINE_EVERY_S = 60.0
ESTIMATE_AFTER_STEPS = 20
LONG_RUN_S = 3600.0


def duration(seconds: float) -> str:
    """A duration for people: ``45 s``, ``12 min``, ``3.2 h``, ``4.1 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


class Progress:
    """Reports ``step / total`` as training goes (see the module docstring); ``bar`` asks for a
    tqdm bar, shown only when standard error is a terminal."""

    def __init__(self, start: int, total: int, label: str, bar: bool) -> None:
        self.start, self.total, self.label = start, total, label
        self.started = time.perf_counter()
        self.last_line = self.started
        self.warned = False
        self.bar = tqdm(
            total=total, initial=start, desc=label, unit="step", dynamic_ncols=True,
            file=sys.stderr,
        ) if bar and sys.stderr.isatty() else None  # fmt: skip

    def update(self, step: int, loss: float | None = None) -> None:
        """``step`` steps done (of ``total``); ``loss`` the latest, when it is at hand."""
        now = time.perf_counter()
        done = step - self.start
        rate = done / (now - self.started) if now > self.started else 0.0
        left = (self.total - step) / rate if rate > 0 else float("inf")
        if not self.warned and done >= ESTIMATE_AFTER_STEPS and left > LONG_RUN_S:
            self.warned = True
            log.warning(
                "%s: %d steps at %.2f s/step take about %s on this machine; for a CPU-sized run "
                "use experiment=demo (3,000 steps)",
                self.label, self.total - self.start, 1 / rate, duration(left),
            )  # fmt: skip
        if self.bar is not None:
            self.bar.update(step - self.bar.n)
            if loss is not None:
                self.bar.set_postfix(loss=f"{loss:.1f}", refresh=False)
        elif now - self.last_line >= LINE_EVERY_S or step == self.total:
            self.last_line = now
            shown = "" if loss is None else f", loss {loss:.1f}"
            log.info(
                "%s: step %d/%d%s, %.1f steps/s, %s left",
                self.label, step, self.total, shown, rate, duration(max(left, 0.0)),
            )  # fmt: skip

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
