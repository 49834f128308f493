"""A FreeFEM header announcing an impossible size is refused before allocating (#18)."""

import pytest

from rom.io import read_freefem_matrix, read_matrix
from rom.io.matrices import MAX_FREEFEM_SIZE


@pytest.mark.parametrize(
    "header",
    [
        "# Sparse Matrix (Morse)\n100000000000 100000000000 0 1\n",  # n = 1e11, Morse
        "# HashMatrix Matrix (COO)\n#\n100000000000 3 1 0 0 0 0\n",  # FreeFEM 4
        f"# Sparse Matrix (Morse)\n3 {MAX_FREEFEM_SIZE + 1} 0 1\n",
        "# Sparse Matrix (Morse)\n-3 3 0 1\n",
    ],
)
def test_huge_or_negative_sizes_are_refused(tmp_path, header):
    path = tmp_path / "A.txt"
    path.write_text(header + "1 1 2.0\n")
    for read in (read_freefem_matrix, read_matrix):
        with pytest.raises(
            ValueError, match=r"path: .* announces a .* matrix .* at most 2147483647"
        ):
            read(path)


def test_the_largest_allowed_size_is_read_sparse(tmp_path):
    path = tmp_path / "A.txt"
    path.write_text("# Sparse Matrix (Morse)\n2 100000 0 1\n1 100000 2.0\n")
    A = read_freefem_matrix(path)
    assert A.shape == (2, 100000) and A[0, 99999] == 2.0
