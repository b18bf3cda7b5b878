"""Strongroom: the AWS security services, self-hosted, over AWS's own wire protocols."""

__version__ = "0.1.0"
