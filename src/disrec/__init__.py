"""Disentangled user representations in recommenders: data, models, metrics and analysis."""
