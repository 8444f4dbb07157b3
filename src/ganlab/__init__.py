"""ganlab: a reproducible laboratory for generative adversarial networks."""
__version__ = "0.1.0"
