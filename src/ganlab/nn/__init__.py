"""Layers shared by several families."""
