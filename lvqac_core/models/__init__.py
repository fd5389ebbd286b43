"""Models: CompressAI backbones (Minnen2018, Cheng2020) with a pluggable latent quantizer."""
from .codec_model import LatentCode, LatentMaps, LatticeCodecModel, build_model
from .registry import ARCHITECTURES, ModelConfig, register_architecture

__all__ = ["ARCHITECTURES", "ModelConfig", "register_architecture", "LatticeCodecModel", "build_model", "LatentCode", "LatentMaps"]
