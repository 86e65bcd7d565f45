"""Backdoors in neural networks: how one is planted (BadNets) and the detectors the backdoor
probe runs — spectral signatures, activation clustering, STRIP and Neural Cleanse.

The detectors that read embeddings or scores work on NumPy arrays; Neural Cleanse needs the
``torch`` extra and imports it where it runs.
"""
