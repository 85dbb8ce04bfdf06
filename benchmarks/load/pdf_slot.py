"""Unique upload bodies made cheaply: the load client shares the server's two cores (no Django here: locust imports it)."""

# The metadata slot each upload fills with its own 32 hex digits: same length, so the xref offsets stay right.
SLOT = b"GMLOAD" + b"0" * 32


def unique_pdf(base: bytes, marker: str) -> bytes:
    """The base PDF (load_seed.base_pdf) with its own identifier in the metadata: every upload its own sha256."""
    if len(marker) != 32 or base.count(SLOT) != 1:
        raise ValueError("the base PDF has no metadata slot, or the marker is not 32 characters")
    return base.replace(SLOT, SLOT[: -len(marker)] + marker.encode("ascii"))
