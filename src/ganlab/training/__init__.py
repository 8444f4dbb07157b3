"""The generic training loop (loop.py) shared by every family."""
