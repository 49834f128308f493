"""Contract cases of rom.manifold (the torch autoencoders' only where torch is installed)."""

from tests.manifold._cases_autoencoder import CASES as _AUTOENCODER
from tests.manifold._cases_autoencoder import UNAVAILABLE
from tests.manifold._cases_quadratic import CASES as _QUADRATIC
from tests.manifold._cases_rom import CASES as _ROM

CASES = [*_QUADRATIC, *_AUTOENCODER, *_ROM]

__all__ = ["CASES", "UNAVAILABLE"]
