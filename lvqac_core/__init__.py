"""lvqac_core: learned image compression with lattice vector quantization and adaptive companding.

Public API: :func:`load_model`, :class:`Codec`, :func:`decompress`, :func:`read_info`
(see ``docs/api.md``). The core never imports Qt.
"""
__version__ = "0.1.0"
