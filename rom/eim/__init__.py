"""The empirical interpolation family: EIM (symmetric and rectangular), DEIM, Q-DEIM, GEIM."""

from rom.eim.deim import DEIM, QDEIM
from rom.eim.eim import EIM
from rom.eim.geim import GEIM
from rom.eim.rectangular import RectangularEIM

__all__ = ["DEIM", "EIM", "GEIM", "QDEIM", "RectangularEIM"]
