"""The spaCy stage, the scikit-learn pipeline, training, persistence and prediction."""
