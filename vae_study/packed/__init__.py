"""Packed training: K models of one architecture and data set trained as one computation.

``model`` stacks the members' parameters and evaluates them with ``torch.func.vmap``; ``loop``
trains a pack with one Adam and per-member streams, noise and divergence; ``run`` maps a config
with ``trainer.pack = K`` onto K member runs, each with the record its single run would write.
"""
