"""Packed training: K models of one architecture and data set trained as one computation.

``model`` stacks the members' parameters and evaluates their own forward pass and objective
with ``torch.func.vmap``; ``loop`` trains a pack with one Adam and per-member streams, noise and
divergence; ``fitter`` is the lifecycle's fitter for a job whose seeds train as one pack.
"""
