"""Data shipped with LVQAC Studio: the model zoo, reference RD curves, sample images, the icon.

Installed wheels carry this folder as the package ``lvqac_resources``; code finds it through
``lvqac_core.resources.resources_dir()`` (it holds no code).
"""
