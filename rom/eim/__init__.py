"""The empirical interpolation family: EIM (symmetric, rectangular), DEIM, Q-DEIM, GEIM,
and the nonintrusive EIM of assembled matrices and vectors."""

from rom.eim.deim import DEIM, QDEIM
from rom.eim.eim import EIM
from rom.eim.geim import GEIM
from rom.eim.matrix import MatrixEIM, VectorEIM
from rom.eim.rectangular import RectangularEIM

__all__ = ["DEIM", "EIM", "GEIM", "QDEIM", "MatrixEIM", "RectangularEIM", "VectorEIM"]
