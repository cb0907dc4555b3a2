"""Processing provider ``rareearth`` and its algorithms: thin wrappers over ``core``."""
