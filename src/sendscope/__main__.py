"""``python -m sendscope``: the same as the ``sendscope`` command."""

from .cli import main

main()
