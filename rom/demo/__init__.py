"""The demonstrations behind ``rom demo``: the certified thermal block (the main job)
and Lagrangian against Eulerian bases on transport.

They sit above every method package: they build full-order models from
``fem_examples`` and run the methods of :mod:`rom.rb` and :mod:`rom.lagrangian`.
"""

from rom.demo.lagrangian import format_table, lagrangian_demo
from rom.demo.thermal_block import thermal_block_demo

__all__ = ["format_table", "lagrangian_demo", "thermal_block_demo"]
