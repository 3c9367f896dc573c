"""The domain: chips, rules, destinations, metrics, the checker, the value and cost models.

Imports nothing above it (tests/test_layers.py).
"""
