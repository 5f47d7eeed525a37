"""innoff: command-line organiser for INNOFF's events."""

__version__ = "0.1.0"
