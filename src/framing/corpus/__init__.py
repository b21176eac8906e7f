"""Reading corpora: documents in, sentence and whole-comment units out."""
