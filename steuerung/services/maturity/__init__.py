"""Potenzialcheck (maturity self-assessment)."""
