"""Other libraries' models in LVQAC Studio: CompressAI's standard architectures and their
checkpoints (:mod:`.compressai_checkpoints`), where such files are found (:mod:`.discovery`), and
the reader of PyTorch's legacy file format they may use (:mod:`.legacy_torch`). See docs/interop.md.
"""
from .compressai_checkpoints import (SUPPORTED, CompressAIModel, inspect_file, load_compressai,
                                     read_compressai)

__all__ = ["SUPPORTED", "CompressAIModel", "inspect_file", "load_compressai", "read_compressai"]
