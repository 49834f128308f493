"""Tests of rom.io.matrices: Matrix Market, npz / npy and FreeFEM text, read_array."""

import numpy as np
import pytest
import scipy.io
import scipy.sparse

from rom.io import (
    read_array,
    read_freefem_matrix,
    read_freefem_vector,
    read_matrix,
    read_vector,
)

FREEFEM_HEADER = (
    "# Sparse Matrix (Morse)\n"
    "# first line: n m (is symmetic) nbcoef\n"
    "# after for each nonzero coefficient:   i j a_ij where (i,j) \\in  {1,...,n}x{1,...,m}\n"
)


def random_sparse(n, m, complex_=False, seed=0):
    A = scipy.sparse.random(n, m, density=0.4, random_state=seed, format="csr")
    if complex_:
        A = A + 1j * scipy.sparse.random(n, m, density=0.3, random_state=seed + 1, format="csr")
    return A.tocsr()


def write_text(path, text):
    path.write_text(text)
    return path


# ---------------------------------------------------------------------- Matrix Market
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("suffix", [".mtx", ".mm"])
def test_matrix_market_sparse(tmp_path, complex_, suffix):
    A = random_sparse(7, 5, complex_)
    path = tmp_path / f"A{suffix}"
    scipy.io.mmwrite(tmp_path / "A.mtx", A)  # mmwrite always adds .mtx
    (tmp_path / "A.mtx").rename(path)
    B = read_matrix(path)
    assert isinstance(B, scipy.sparse.csr_matrix)
    assert B.shape == (7, 5)
    assert B.dtype == (np.complex128 if complex_ else np.float64)
    np.testing.assert_allclose(B.toarray(), A.toarray(), rtol=1e-15)


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
def test_matrix_market_dense(tmp_path, complex_):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 3))
    if complex_:
        A = A + 1j * rng.standard_normal((4, 3))
    path = tmp_path / "D.mtx"
    scipy.io.mmwrite(path, A)
    B = read_matrix(path)
    assert isinstance(B, np.ndarray) and not scipy.sparse.issparse(B)
    np.testing.assert_allclose(B, A, rtol=1e-15)


def test_matrix_market_symmetric_is_expanded(tmp_path):
    A = scipy.sparse.csr_matrix(np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]]))
    path = tmp_path / "S.mtx"
    scipy.io.mmwrite(path, A, symmetry="symmetric")
    assert "symmetric" in path.read_text().splitlines()[0]
    np.testing.assert_array_equal(read_matrix(path).toarray(), A.toarray())


def test_matrix_market_handwritten(tmp_path):
    text = (
        "%%MatrixMarket matrix coordinate real general\n"
        "% written by hand\n"
        "2 3 3\n"
        "1 1 1.5\n"
        "2 3 -2\n"
        "1 2 4e-3\n"
    )
    A = read_matrix(write_text(tmp_path / "h.mtx", text))
    np.testing.assert_array_equal(A.toarray(), [[1.5, 4e-3, 0.0], [0.0, 0.0, -2.0]])


# ---------------------------------------------------------------------- npz and npy
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_scipy_save_npz(tmp_path, complex_, fmt):
    A = random_sparse(6, 8, complex_).asformat(fmt)
    path = tmp_path / "A.npz"
    scipy.sparse.save_npz(path, A)
    B = read_matrix(path)
    assert isinstance(B, scipy.sparse.csr_matrix)
    np.testing.assert_array_equal(B.toarray(), A.toarray())


def test_scipy_save_npz_uncompressed_and_sparse_array(tmp_path):
    A = scipy.sparse.csr_array(random_sparse(5, 5))
    path = tmp_path / "A.npz"
    scipy.sparse.save_npz(path, A, compressed=False)
    np.testing.assert_array_equal(read_matrix(path).toarray(), A.toarray())


@pytest.mark.parametrize("compressed", [False, True])
def test_single_array_npz(tmp_path, compressed):
    A = np.arange(12.0).reshape(3, 4) - 5j
    path = tmp_path / "A.npz"
    (np.savez_compressed if compressed else np.savez)(path, matrix=A)
    B = read_matrix(path)
    assert isinstance(B, np.ndarray)
    np.testing.assert_array_equal(B, A)


def test_npy(tmp_path):
    A = np.random.default_rng(1).standard_normal((5, 2))
    np.save(tmp_path / "A.npy", A)
    np.testing.assert_array_equal(read_matrix(tmp_path / "A.npy"), A)


def test_npz_with_several_arrays(tmp_path):
    path = tmp_path / "two.npz"
    np.savez(path, a=np.zeros(2), b=np.ones(2))
    with pytest.raises(ValueError, match=r"path: .*several arrays and no sparse matrix"):
        read_matrix(path)


def test_npy_with_objects_is_refused(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"path: .*obj\.npy.* could not be read as a matrix"):
        read_matrix(path)


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.7, 0.95])
@pytest.mark.parametrize("kind", ["sparse", "dense"])
def test_corrupt_npz(tmp_path, fraction, kind):
    src = tmp_path / "src.npz"
    if kind == "sparse":
        scipy.sparse.save_npz(src, random_sparse(30, 30))
    else:
        np.savez_compressed(src, a=np.random.default_rng(0).standard_normal(500))
    raw = src.read_bytes()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(raw[: int(fraction * len(raw))])
    with pytest.raises(ValueError, match=r"path: .*bad\.npz"):
        read_matrix(bad)


@pytest.mark.parametrize("prefix", [b"", b"PK\x03\x04", b"\x93NUMPY"])
@pytest.mark.parametrize("suffix", [".npz", ".npy"])
def test_random_bytes_npz_npy(tmp_path, prefix, suffix):
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(prefix + np.random.default_rng(2).bytes(256))
    with pytest.raises(ValueError, match=r"path: .*bad"):
        read_matrix(bad)


def test_npy_content_with_npz_suffix(tmp_path):
    path = tmp_path / "wrong.npz"
    with open(path, "wb") as fh:
        np.save(fh, np.eye(2))
    with pytest.raises(ValueError, match=r"path: .*wrong\.npz.* \(not an .npz archive\)"):
        read_matrix(path)


def test_npz_content_with_npy_suffix(tmp_path):
    path = tmp_path / "wrong.npy"
    with open(path, "wb") as fh:
        np.savez(fh, a=np.eye(2))
    with pytest.raises(ValueError, match=r"path: .*wrong\.npy.* \(not an .npy array\)"):
        read_matrix(path)


def test_corrupt_matrix_market(tmp_path):
    path = tmp_path / "A.mtx"
    scipy.io.mmwrite(path, random_sparse(6, 6))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-2]))  # fewer entries than announced
    with pytest.raises(ValueError, match=r"path: .*A\.mtx.* could not be read as a matrix"):
        read_matrix(path)
    write_text(path, "not a matrix market file\n1 2 3\n")
    with pytest.raises(ValueError, match=r"path: .*A\.mtx"):
        read_matrix(path)


@pytest.mark.parametrize("reader", [read_matrix, read_vector, read_freefem_matrix])
def test_missing_file(tmp_path, reader):
    with pytest.raises(FileNotFoundError, match=r"path: no such file .*nope"):
        reader(tmp_path / "nope.mtx")
    with pytest.raises(FileNotFoundError, match="path: no such file"):
        reader(tmp_path)  # a directory


@pytest.mark.parametrize(
    "reader", [read_matrix, read_vector, read_freefem_matrix, read_freefem_vector]
)
def test_bad_path_type(reader):
    with pytest.raises(TypeError, match="path: expected a file path"):
        reader(3)


# ---------------------------------------------------------------------- FreeFEM matrices
def test_freefem_matrix_general(tmp_path):
    text = FREEFEM_HEADER + (
        "3 4 0  5\n"
        "        1         1 2\n"
        "        1         4 -0.5\n"
        "        2         2 1e-3\n"
        "        3         1 7\n"
        "        3         3 -1.25E+01\n"
    )
    A = read_freefem_matrix(write_text(tmp_path / "A.txt", text))
    expected = np.zeros((3, 4))
    expected[0, 0], expected[0, 3], expected[1, 1] = 2.0, -0.5, 1e-3
    expected[2, 0], expected[2, 2] = 7.0, -12.5
    assert isinstance(A, scipy.sparse.csr_matrix) and A.shape == (3, 4)
    np.testing.assert_array_equal(A.toarray(), expected)
    # read_matrix recognises it by its content, whatever the suffix
    np.testing.assert_array_equal(read_matrix(tmp_path / "A.txt").toarray(), expected)


@pytest.mark.parametrize("triangle", ["lower", "upper"])
def test_freefem_matrix_symmetric_fills_the_other_triangle(tmp_path, triangle):
    # the 1-D Laplacian plus a distinct diagonal, stored by one triangle only
    full = np.array(
        [
            [2.0, -1.0, 0.0, 0.5],
            [-1.0, 3.0, -1.0, 0.0],
            [0.0, -1.0, 4.0, -1.0],
            [0.5, 0.0, -1.0, 5.0],
        ]
    )
    part = np.tril(full) if triangle == "lower" else np.triu(full)
    i, j = np.nonzero(part)
    lines = "".join(
        f"  {a + 1}  {b + 1} {float(part[a, b])!r}\n" for a, b in zip(i, j, strict=True)
    )
    text = FREEFEM_HEADER + f"4 4 1 {len(i)}\n" + lines
    A = read_freefem_matrix(write_text(tmp_path / "S.txt", text))
    np.testing.assert_array_equal(A.toarray(), full)
    np.testing.assert_array_equal(A.diagonal(), [2.0, 3.0, 4.0, 5.0])  # not doubled


def test_freefem_matrix_symmetric_flag_zero_keeps_one_triangle(tmp_path):
    text = FREEFEM_HEADER + "2 2 0 3\n1 1 1\n2 1 -1\n2 2 1\n"
    A = read_freefem_matrix(write_text(tmp_path / "L.txt", text))
    np.testing.assert_array_equal(A.toarray(), [[1.0, 0.0], [-1.0, 1.0]])


def test_freefem_matrix_complex(tmp_path):
    text = FREEFEM_HEADER + "2 2 0 3\n 1 1 (1,-2)\n 1 2 (0.5,0)\n 2 2 (-3e-1,4.5E1)\n"
    A = read_freefem_matrix(write_text(tmp_path / "C.txt", text))
    assert A.dtype == np.complex128
    np.testing.assert_array_equal(A.toarray(), [[1 - 2j, 0.5], [0.0, -0.3 + 45j]])


def test_freefem_matrix_complex_symmetric_is_not_hermitian(tmp_path):
    # FreeFEM's symmetric flag means A = A^T (no conjugation)
    text = FREEFEM_HEADER + "2 2 1 3\n1 1 (2,1)\n2 1 (0,3)\n2 2 (1,0)\n"
    A = read_freefem_matrix(write_text(tmp_path / "C.txt", text)).toarray()
    np.testing.assert_array_equal(A, [[2 + 1j, 3j], [3j, 1.0]])
    np.testing.assert_array_equal(A, A.T)


def test_freefem_matrix_empty_matrix(tmp_path):
    A = read_freefem_matrix(write_text(tmp_path / "Z.txt", FREEFEM_HEADER + "3 2 0 0\n"))
    assert A.shape == (3, 2) and A.nnz == 0


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("3 3 0 4\n1 1 1\n2 2 1\n3 3 1\n", r"announces 4 coefficients but holds 3"),  # truncated
        ("2 2 0 2\n1 1 1\n2 2\n", r"announces 2 coefficients .*well-formed"),
        ("2 2 0 1\n3 1 1\n", r"indices outside the 2 x 2 matrix"),
        ("2 2 0 1\n1 3 1\n", r"indices outside the 2 x 2 matrix"),
        ("2 2 0 1\n0 1 1\n", r"indices outside the 2 x 2 matrix"),  # indices are 1-based
        ("2 2 0 1\na 1 1\n", r"non-integer row or column index"),
        ("2 2 0 1\n1 1 x\n", r"non-numeric entry"),
        ("2 2 0 1\n1 1 (1,2\n", r"malformed complex entries"),
        ("two by two\n1 1 1\n", r"does not start with 'n m symmetric nnz'"),
        ("2 2 0\n1 1 1\n", r"does not start with 'n m symmetric nnz'"),
        ("", r"is empty; expected a FreeFEM matrix"),
    ],
    ids=[
        "truncated",
        "short-line",
        "row-too-large",
        "column-too-large",
        "zero-index",
        "bad-index",
        "bad-value",
        "bad-complex",
        "garbage-header",
        "short-header",
        "empty",
    ],
)
def test_freefem_matrix_errors(tmp_path, body, match):
    path = write_text(tmp_path / "bad.txt", FREEFEM_HEADER + body)
    with pytest.raises(ValueError, match=r"path: .*bad\.txt.*" + match):
        read_freefem_matrix(path)


def test_binary_garbage_with_unknown_suffix(tmp_path):
    path = tmp_path / "A.bin"
    path.write_bytes(b"\x00\x01garbage\n\xff")
    with pytest.raises(ValueError, match=r"path: .*A\.bin.* is not a text file"):
        read_matrix(path)
    with pytest.raises(ValueError, match=r"path: .*A\.bin.* is not a text file"):
        read_vector(path)


# ---------------------------------------------------------------------- FreeFEM vectors
def test_freefem_vector_as_written_by_freefem(tmp_path):
    # FreeFEM writes the size, then the values five per line, tab separated
    values = np.linspace(-1.0, 2.0, 12)
    rows = ["\t" + "\t".join(repr(float(v)) for v in values[k : k + 5]) + "\t" for k in (0, 5, 10)]
    text = "12\t\n" + "\n".join(rows) + "\n"
    u = read_freefem_vector(write_text(tmp_path / "u.txt", text))
    assert u.dtype == np.float64
    np.testing.assert_array_equal(u, values)


def test_freefem_vector_one_value_per_line(tmp_path):
    u = read_freefem_vector(write_text(tmp_path / "u.txt", "3\n1e-3\n-2\n4.5E2\n"))
    np.testing.assert_array_equal(u, [1e-3, -2.0, 450.0])


def test_freefem_vector_complex(tmp_path):
    text = "3\t\n\t(1,2)\t(-0.5,0)\t(0,-1e-3)\t\n"
    u = read_freefem_vector(write_text(tmp_path / "z.txt", text))
    assert u.dtype == np.complex128
    np.testing.assert_array_equal(u, [1 + 2j, -0.5, -1e-3j])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("5\t\n\t1\t2\t3\t\n", r"announces 5 values but holds 3"),
        ("2\n1 2 3\n", r"announces 2 values but holds 3"),
        ("size\n1 2\n", r"does not start with the array size"),
        ("2\n1 x\n", r"non-numeric entry"),
        ("2\n(1,2) 3\n", r"malformed complex entries"),
        ("", r"is empty"),
    ],
    ids=["truncated", "too-long", "no-size", "bad-value", "mixed-complex", "empty"],
)
def test_freefem_vector_errors(tmp_path, text, match):
    path = write_text(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError, match=r"path: .*bad\.txt.*" + match):
        read_freefem_vector(path)


# ---------------------------------------------------------------------- read_vector
def test_read_vector_each_format(tmp_path):
    v = np.array([0.25, -1.0, 3.5, 0.0, 2.0])
    np.save(tmp_path / "v.npy", v)
    np.savez(tmp_path / "v.npz", v=v)
    np.save(tmp_path / "col.npy", v[:, None])
    scipy.io.mmwrite(tmp_path / "v.mtx", v[:, None])  # dense array format
    scipy.io.mmwrite(tmp_path / "sv.mtx", scipy.sparse.csr_matrix(v[None, :]))  # sparse row
    scipy.sparse.save_npz(tmp_path / "sv.npz", scipy.sparse.csc_matrix(v[:, None]))
    write_text(tmp_path / "v.txt", "5\t\n\t0.25\t-1\t3.5\t0\t2\t\n")
    for name in ("v.npy", "v.npz", "col.npy", "v.mtx", "sv.mtx", "sv.npz", "v.txt"):
        out = read_vector(tmp_path / name)
        assert isinstance(out, np.ndarray) and out.shape == (5,), name
        np.testing.assert_array_equal(out, v, err_msg=name)


def test_read_vector_complex(tmp_path):
    z = np.array([1 + 1j, -2j, 3.0])
    np.save(tmp_path / "z.npy", z)
    scipy.io.mmwrite(tmp_path / "z.mtx", z[:, None])
    write_text(tmp_path / "z.dat", "3\n(1,1) (0,-2) (3,0)\n")
    for name in ("z.npy", "z.mtx", "z.dat"):
        np.testing.assert_array_equal(read_vector(tmp_path / name), z, err_msg=name)


def test_read_vector_refuses_a_matrix(tmp_path):
    np.save(tmp_path / "M.npy", np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"path: .*M\.npy.* holds a matrix of shape \(3, 2\)"):
        read_vector(tmp_path / "M.npy")
    scipy.io.mmwrite(tmp_path / "M.mtx", random_sparse(3, 3))
    with pytest.raises(ValueError, match=r"holds a matrix of shape \(3, 3\)"):
        read_vector(tmp_path / "M.mtx")


def test_read_vector_corrupt_file(tmp_path):
    path = tmp_path / "v.npz"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(ValueError, match=r"path: .*v\.npz"):
        read_vector(path)
    write_text(tmp_path / "v.txt", "4\n1 2\n")
    with pytest.raises(ValueError, match="announces 4 values but holds 2"):
        read_vector(tmp_path / "v.txt")


# ---------------------------------------------------------------------- read_array
def test_read_array_tells_the_formats_apart(tmp_path):
    A = random_sparse(6, 6, seed=1)
    scipy.io.mmwrite(tmp_path / "A.mtx", A)
    assert abs(read_array(tmp_path / "A.mtx") - A).max() == 0
    scipy.io.mmwrite(tmp_path / "v.mtx", np.arange(4.0)[:, None])
    np.testing.assert_array_equal(read_array(tmp_path / "v.mtx"), np.arange(4.0))
    scipy.sparse.save_npz(tmp_path / "A.npz", A)
    assert abs(read_array(tmp_path / "A.npz") - A).max() == 0
    np.save(tmp_path / "M.npy", np.eye(3))
    np.testing.assert_array_equal(read_array(tmp_path / "M.npy"), np.eye(3))
    # FreeFEM 4 writes matrices as "HashMatrix (COO)", 0-based; vectors as size + values
    write_text(
        tmp_path / "A.txt",
        "#  HashMatrix Matrix (COO) 0x55\n"
        "#    n       m        nnz     half     fortran   state  \n"
        "2 3 3 0 0 3 3 \n         0         0 2.5\n         1         2 -1\n         0  1 4\n",
    )
    B = read_array(tmp_path / "A.txt")
    assert scipy.sparse.issparse(B)
    np.testing.assert_array_equal(B.toarray(), [[2.5, 4.0, 0.0], [0.0, 0.0, -1.0]])
    write_text(tmp_path / "b.txt", "3\t\n\t1\t2\t3\t\n")
    np.testing.assert_array_equal(read_array(tmp_path / "b.txt"), [1.0, 2.0, 3.0])
    write_text(tmp_path / "m.dat", FREEFEM_HEADER + "2 2 0 1\n2 1 (1,-2)\n")
    assert read_array(tmp_path / "m.dat").toarray()[1, 0] == 1 - 2j


def test_read_array_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="path: no such file"):
        read_array(tmp_path / "missing.txt")
    with pytest.raises(TypeError, match="path: expected a file path"):
        read_array(3)
    write_text(tmp_path / "b.txt", "4\n1 2 3\n")
    with pytest.raises(ValueError, match="announces 4 values but holds 3"):
        read_array(tmp_path / "b.txt")
    (tmp_path / "x.bin").write_bytes(bytes(range(256)))
    with pytest.raises(ValueError, match=r"path: .*x\.bin"):
        read_array(tmp_path / "x.bin")
