"""The pictures of `make bench`: a confusion matrix and per-intent F1 bars, as PNG under results/."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import matplotlib

matplotlib.use("Agg")  # no screen on the benchmark machine
import matplotlib.pyplot as plt  # noqa: E402


def confusion_png(matrix: Dict[str, List], title: str, path: Path) -> Path:
    labels, counts = matrix["labels"], matrix["counts"]
    figure, axes = plt.subplots(figsize=(11, 9.5))
    image = axes.imshow(counts, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels=labels, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(labels)), labels=labels, fontsize=8)
    axes.set_xlabel("predicted intent")
    axes.set_ylabel("gold intent")
    axes.set_title(title)
    highest = max((max(row) for row in counts), default=0)
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            if value:
                colour = "white" if value > highest / 2 else "black"
                axes.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    figure.colorbar(image, ax=axes, fraction=0.04)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def per_intent_png(series: Dict[str, Dict[str, float]], title: str, path: Path) -> Path:
    """Grouped bars: one group per intent, one bar per series (e.g. held-out, independent, 5-fold CV)."""
    intents = sorted({intent for values in series.values() for intent in values})
    width = 0.8 / max(1, len(series))
    figure, axes = plt.subplots(figsize=(13, 5.5))
    for index, (name, values) in enumerate(series.items()):
        positions = [i + index * width for i in range(len(intents))]
        axes.bar(positions, [values.get(intent, 0.0) for intent in intents], width=width, label=name)
    axes.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(intents))], labels=intents)
    axes.tick_params(axis="x", rotation=60, labelsize=8)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("F1")
    axes.axhline(0.95, color="grey", linestyle="--", linewidth=0.8)
    axes.set_title(title)
    axes.legend(loc="lower left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
