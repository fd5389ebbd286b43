"""Models: CompressAI backbones (Minnen2018, Cheng2020) with a pluggable latent quantizer, coded by a
latent codec per decoding order (:mod:`.latent_codecs`)."""
from .codec_model import ForwardOutput, LatentCode, LatentMaps, LatticeCodecModel, build_model, with_quantizer_options
from .latent_codecs import LatentCodec
from .registry import ARCHITECTURES, ModelConfig, register_architecture

__all__ = ["ForwardOutput", "ARCHITECTURES", "ModelConfig", "register_architecture", "LatticeCodecModel", "build_model", "LatentCode",
           "LatentMaps", "LatentCodec", "with_quantizer_options"]
