"""``python -m services.cli``: the same as the ``gotong`` command."""

from services.cli import main

main()
