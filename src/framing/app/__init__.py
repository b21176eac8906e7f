"""The local labelling web app: sessions, the order of units, review."""
