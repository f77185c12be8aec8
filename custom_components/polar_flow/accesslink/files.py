"""Exercise files AccessLink exports: FIT, TCX (gzipped by Polar) and GPX."""

from __future__ import annotations

from enum import StrEnum
import zlib

from .errors import AccessLinkResponseError

# A long exercise's TCX with second-by-second samples runs to tens of megabytes.
MAX_FILE_BYTES = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class ExerciseFileFormat(StrEnum):
    """A file format AccessLink exports an exercise in; the value is its path segment."""

    FIT = "fit"
    TCX = "tcx"
    GPX = "gpx"


def too_large(max_bytes: int) -> AccessLinkResponseError:
    """Return the error of a file beyond the bound."""
    return AccessLinkResponseError(f"the exercise file is larger than {max_bytes} bytes")


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Return gzipped data decompressed, at most max_bytes; data not gzipped is returned as is."""
    if not data.startswith(_GZIP_MAGIC):
        return data
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, max_bytes + 1)
    except zlib.error as err:
        raise AccessLinkResponseError(f"the exercise file is not valid gzip: {err}") from err
    if len(out) > max_bytes:
        raise too_large(max_bytes)
    if not decompressor.eof:
        raise AccessLinkResponseError("the exercise file is truncated gzip")
    return out
