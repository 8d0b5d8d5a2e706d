"""Exponential moving average of a model's weights (the weights we release and sample from)."""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn


class EMA:
    """Shadow copy of parameters and buffers: `shadow = decay * shadow + (1 - decay) * live`.

    The decay warms up as (1 + step) / (10 + step) so an early EMA is not stuck at the random init.
    """

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.step = 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.step += 1
        decay = min(self.decay, (1 + self.step) / (10 + self.step))
        for key, value in model.state_dict().items():
            if value.dtype.is_floating_point:
                self.shadow[key].lerp_(value.detach(), 1 - decay)
            else:
                self.shadow[key].copy_(value)

    @contextmanager
    def swapped_into(self, model: nn.Module):
        """Run the block with EMA weights in `model`, then put the live weights back."""
        live = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.shadow, strict=True)
        try:
            yield model
        finally:
            model.load_state_dict(live, strict=True)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "step": self.step, "shadow": self.shadow}

    def load_state_dict(self, state: dict) -> None:
        self.decay, self.step = state["decay"], state["step"]
        self.shadow = {k: v.clone() for k, v in state["shadow"].items()}
