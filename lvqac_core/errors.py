"""Exceptions of lvqac_core. Every error a user can cause derives from ``InputError``; the CLI
prints its message as one line on stderr and exits with code 2."""
from __future__ import annotations

__all__ = [
    "LvqacError",
    "InputError",
    "LvqFormatError",
    "NotAnLvqFile",
    "TruncatedFile",
    "CorruptFile",
    "UnsupportedVersion",
    "ImageError",
    "ImageTooLargeError",
    "ImageFolderError",
    "ModelNotFoundError",
    "ModelMismatchError",
    "DesyncError",
    "SymbolRangeError",
    "OutputExistsError",
    "Cancelled",
]


class LvqacError(Exception):
    """Base class of all errors raised on purpose by lvqac_core."""


class InputError(LvqacError):
    """Bad input from the user (file, image, option): exit code 2 in the CLI."""


class LvqFormatError(InputError):
    """A .lvq file that cannot be decoded."""


class NotAnLvqFile(LvqFormatError):
    """Wrong magic bytes: not a .lvq file (or empty)."""


class TruncatedFile(LvqFormatError):
    """The file ends before its declared sections do."""


class CorruptFile(LvqFormatError):
    """Header fields out of range or CRC32 mismatch."""


class UnsupportedVersion(LvqFormatError):
    """Written by a newer format version than this library reads."""


class ImageError(InputError):
    """An image that cannot be read or coded."""


class ImageFolderError(InputError, FileNotFoundError):
    """A folder of images does not exist or holds none (also a ``FileNotFoundError``)."""


class ImageTooLargeError(ImageError):
    """Image larger than the configured pixel limit."""


class ModelNotFoundError(InputError):
    """Unknown model id, missing weights file, or weights whose hash does not match."""


class ModelMismatchError(InputError):
    """A bitstream written by other weights or another architecture than the loaded model."""


class DesyncError(LvqFormatError):
    """Decoded symbols do not match the checksum the encoder stored (other device/weights)."""


class SymbolRangeError(InputError):
    """A model's symbols fall outside what the entropy coder can represent (a damaged or hostile
    checkpoint): refused before CompressAI's native encoder runs."""


class OutputExistsError(InputError):
    """Refusing to overwrite an existing file the caller did not allow to be replaced."""


class Cancelled(LvqacError):
    """Work cancelled through a cancel callback."""
