"""One-off experiments that answered a question (see experiments/README.md); run each as ``python -m experiments.NAME``."""
