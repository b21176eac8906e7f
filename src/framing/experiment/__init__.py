"""Evaluation protocols, metrics with intervals, and explanations."""
