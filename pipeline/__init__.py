"""Chinese policy-text extraction: measures, numeric targets, deadlines and lead departments."""

__version__ = "0.1.0"
