"""sendscope: lock down Microsoft 365 apps that can send mail as anyone."""

__all__ = ["__version__"]

__version__ = "0.1.0"
