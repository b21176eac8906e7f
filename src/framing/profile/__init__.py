"""Corpus frame profiles: frame shares by group, corrected for classifier error, with intervals."""
