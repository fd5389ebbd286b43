"""Evaluation: BD-rate, classical baselines through Pillow, learned codecs through the API, RD plots."""
from .bdrate import BDError, bd_psnr, bd_rate
from .common import ImageScore, RDCurve, RDPoint, environment, git_commit

__all__ = ["BDError", "bd_psnr", "bd_rate", "ImageScore", "RDCurve", "RDPoint", "environment", "git_commit"]
