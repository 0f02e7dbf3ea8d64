"""The six recommenders of the study, built by config name."""

from __future__ import annotations

from typing import Any

import torch

from disrec.grid import CLOSED_FORM_MODELS, KL_MODELS, MODEL_NAMES
from disrec.models.autoencoders import BetaVAE, MultiDAE, MultiVAE
from disrec.models.base import Recommender
from disrec.models.macridvae import MacridVAE
from disrec.models.popularity import TopPop
from disrec.models.puresvd import PureSVD


def build_model(name: str, n_items: int, settings: dict[str, Any], beta: float | None = None) -> Recommender:
    """A fresh, untrained model from its config entry (``beta`` for the KL models)."""
    if name == "toppop":
        return TopPop(n_items)
    if name == "puresvd":
        return PureSVD(n_items, settings["code_dim"])
    common = dict(code_dim=settings["code_dim"], hidden=list(settings["hidden"]), keep_prob=settings["keep_prob"],
                  l2_reg=settings["l2_reg"])
    if name == "multidae":
        return MultiDAE(n_items, **common)
    if name == "multivae":
        return MultiVAE(n_items, **common, beta=beta, kl_anneal=settings["kl_anneal"])
    if name == "betavae":
        return BetaVAE(n_items, **common, beta=beta)
    if name == "macridvae":
        return MacridVAE(n_items, **common, d_fac=settings["d_fac"], tau=settings["tau"],
                         prior_std=settings["prior_std"], beta=beta,
                         kl_anneal=settings["kl_anneal"], code=settings["code"])
    raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODEL_NAMES)}")


def load_trained_model(model_name: str, settings: dict[str, Any], beta: float | None, n_items: int,
                       weights: str, device: torch.device | str = "cpu") -> Recommender:
    """Rebuild a model from its config and the weights the train job wrote (read with weights_only)."""
    model = build_model(model_name, n_items, settings, beta)
    model.load_state_dict(torch.load(weights, map_location=device, weights_only=True))
    return model.to(device).eval()


__all__ = ["CLOSED_FORM_MODELS", "KL_MODELS", "MODEL_NAMES", "Recommender", "build_model", "load_trained_model"]
