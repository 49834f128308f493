"""Clustered local reduced bases: dissimilarities between snapshots, k-medoids, LocalPOD,
the a priori efficiency criterion and the ROM-net selection of the basis."""

from rom.local.criterion import EfficiencyCriterion, cluster_widths
from rom.local.dissimilarity import (
    dissimilarity,
    euclidean_dissimilarity,
    grassmann_dissimilarity,
    principal_angles,
    sine_dissimilarity,
)
from rom.local.kmedoids import KMedoids, total_cost
from rom.local.local_pod import LocalPOD
from rom.local.scan import ClusterScan, scan_clusters

__all__ = [
    "ClusterScan",
    "EfficiencyCriterion",
    "KMedoids",
    "LocalPOD",
    "cluster_widths",
    "dissimilarity",
    "euclidean_dissimilarity",
    "grassmann_dissimilarity",
    "principal_angles",
    "scan_clusters",
    "sine_dissimilarity",
    "total_cost",
]
