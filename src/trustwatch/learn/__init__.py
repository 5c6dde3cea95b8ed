"""Learned detection: train, evaluate and load text classifiers (issue 3)."""
