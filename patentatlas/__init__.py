"""PatentAtlas: an open regional patent monitoring and service platform."""

__version__ = "0.1.0"
