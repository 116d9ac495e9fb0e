"""The devices this machine can train on."""

from __future__ import annotations


def available_devices() -> list[str]:
    """``auto``, ``cpu``, then each CUDA device and MPS where present (imports torch)."""
    import torch

    devices = ["auto", "cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    return devices
