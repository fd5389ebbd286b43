"""The zoo recipe: build, evaluate, reproduce, report and budget (see scripts/README.md); run each as ``python -m scripts.NAME``."""
