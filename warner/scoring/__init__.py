"""Scoring: language, sentiment and toxicity of a mention, by trained models or the lexicon baseline.

No imports here: the contract (``base``) is light, the models (``models``) load scikit-learn, and a
stage that only needs the contract must not pay for the models.
"""
