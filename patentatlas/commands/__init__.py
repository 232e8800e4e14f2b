"""Command groups beyond the core ones in :mod:`patentatlas.cli`, one module per domain.

Each module defines ``register(main)`` adding its commands to the ``patentatlas`` group.
"""

COMMAND_MODULES = ("patentatlas.commands.industries", "patentatlas.commands.indicators", "patentatlas.commands.fees",
                   "patentatlas.commands.accounts", "patentatlas.commands.alerts",
                   "patentatlas.commands.directory", "patentatlas.commands.scores", "patentatlas.commands.search")
