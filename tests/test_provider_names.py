"""Every GPU rental provider of the catalog has its own display name (pickers and labels show it)."""
from __future__ import annotations

from tco.resolve import PROVIDER_NAMES


def test_every_provider_of_the_rental_rates_has_a_display_name(catalog):
    ids = set(catalog.history["gpu_rates"]["provider"].astype(str)) | set(catalog.gpu_rates["provider"].astype(str))
    missing = sorted(ids - set(PROVIDER_NAMES))
    assert not missing, f"no display name in tco.resolve.PROVIDER_NAMES for {missing}"
    assert PROVIDER_NAMES["nebius"] == "Nebius" and PROVIDER_NAMES["vast"] == "Vast.ai"
