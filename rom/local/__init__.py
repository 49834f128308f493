"""Clustered local reduced bases: dissimilarities between snapshots, k-medoids, LocalPOD,
the a priori efficiency criterion, the ROM-net selection of the basis and the local
Galerkin reduced model that switches between the bases online."""

from rom.local.criterion import EfficiencyCriterion, cluster_widths
from rom.local.dissimilarity import (
    dissimilarity,
    euclidean_dissimilarity,
    grassmann_dissimilarity,
    principal_angles,
    sine_dissimilarity,
)
from rom.local.galerkin import LocalGalerkinROM, LocalTrajectory, Switch
from rom.local.kmedoids import KMedoids, total_cost
from rom.local.local_pod import LocalPOD
from rom.local.scan import ClusterScan, scan_clusters

__all__ = [
    "ClusterScan",
    "EfficiencyCriterion",
    "KMedoids",
    "LocalGalerkinROM",
    "LocalPOD",
    "LocalTrajectory",
    "Switch",
    "cluster_widths",
    "dissimilarity",
    "euclidean_dissimilarity",
    "grassmann_dissimilarity",
    "principal_angles",
    "scan_clusters",
    "sine_dissimilarity",
    "total_cost",
]
