"""Input and output: mesh fields, matrices from external codes, saved models."""

from rom.io.fields import read_fields, write_fields
from rom.io.matrices import (
    read_array,
    read_freefem_matrix,
    read_freefem_vector,
    read_matrix,
    read_vector,
)
from rom.io.persist import (
    atomic_write,
    load,
    read_arrays,
    read_header,
    save,
    write_arrays,
)

__all__ = [
    "atomic_write",
    "load",
    "read_array",
    "read_arrays",
    "read_fields",
    "read_freefem_matrix",
    "read_freefem_vector",
    "read_header",
    "read_matrix",
    "read_vector",
    "save",
    "write_arrays",
    "write_fields",
]
