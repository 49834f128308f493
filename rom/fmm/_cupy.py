"""Direct kernel sums on the GPU: one CUDA thread per target, as the numba loop.

The raw kernel has the layout of :func:`rom.fmm._numba.grouped_sum` with one
target group per thread: the thread keeps one accumulator per charge vector and runs
over all sources. Built-in kernels only (user kernels are numba functions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.backend import import_optional

_SOURCE = r"""
// Self-contained (no header): NVRTC compiles it on the device, and the tests compile
// the same text as C++ on the host and run its grid one thread after another.

// complex128 as NumPy and cupy store it: two doubles
struct cplx {
    double re, im;
    __device__ cplx() {}
    __device__ cplx(double r) : re(r), im(0.0) {}
    __device__ cplx(double r, double i) : re(r), im(i) {}
};
__device__ inline cplx operator*(cplx a, cplx b) {
    return cplx(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}
__device__ inline cplx& operator+=(cplx& a, cplx b) {
    a.re += b.re;
    a.im += b.im;
    return a;
}

__device__ inline double real_kernel(int kid, const double* p, double d0, double d1, double d2) {
    double r2 = d0 * d0 + d1 * d1 + d2 * d2;
    double r = sqrt(r2);
    switch (kid) {
    case 0: return r > 0.0 ? 1.0 / r : 0.0;
    case 1: return r > 0.0 ? exp(-p[0] * r) / r : 0.0;
    case 2: return exp(-r2 * p[0]);
    case 3: return sqrt(r2 + p[0]);
    case 4: return 1.0 / sqrt(r2 + p[0]);
    case 5: return exp(-r * p[0]);
    case 6: { double s = sqrt(3.0) * r * p[0]; return (1.0 + s) * exp(-s); }
    case 7: { double s = sqrt(5.0) * r * p[0]; return (1.0 + s + s * s / 3.0) * exp(-s); }
    case 8: return r > 0.0 ? r2 * log(r) : 0.0;
    case 9: return r > 0.0 ? log(r) : 0.0;
    }
    return nan("");
}

// H0^(1)(x) = J0(x) + i Y0(x) for x > 0, as rom.fmm._numba.hankel0: power series
// (x < 2), Miller's backward recurrence with the Neumann series of Y0 (x < 16),
// Hankel's asymptotic expansion summed to its smallest term
__device__ inline cplx hankel0(double x) {
    const double two_over_pi = 0.6366197723675814, euler_gamma = 0.5772156649015329;
    if (x < 2.0) {
        double t = 0.25 * x * x, term = 1.0, j = 1.0, s = 0.0, harmonic = 0.0;
        for (int k = 1; fabs(term) > 1e-18; ++k) {
            term *= -t / ((double)k * k);
            harmonic += 1.0 / k;
            j += term;
            s -= term * harmonic;
        }
        return cplx(j, two_over_pi * ((log(0.5 * x) + euler_gamma) * j + s));
    }
    if (x < 16.0) {
        int top = 2 * (int)(0.68 * x + 13.5);  // J_top negligible; even
        double step = 2.0 / x, after = 0.0, f = 1e-30, norm = 0.0, odd_sum = 0.0;
        for (int m = top; m > 0; --m) {
            double next = m * step * f - after;
            after = f;
            f = next;
            if (m % 2 == 1 && m > 1) {
                int h = (m - 1) / 2;
                norm += 2.0 * f;
                odd_sum += (h % 2 == 0 ? f : -f) / h;
            }
        }
        norm += f;
        double j = f / norm;
        return cplx(j, two_over_pi * ((log(0.5 * x) + euler_gamma) * j - 2.0 * odd_sum / norm));
    }
    double u = 1.0, re = 1.0, im = 0.0;
    for (int k = 1;; ++k) {
        double nxt = u * (2 * k - 1) * (2 * k - 1) / (8.0 * k * x);
        if (nxt > u || nxt < 1e-17) break;
        u = nxt;
        switch (k % 4) {
        case 0: re += u; break;
        case 1: im -= u; break;
        case 2: re -= u; break;
        default: im += u;
        }
    }
    double c = cos(x), s = sin(x), a = sqrt(1.0 / (3.141592653589793 * x));
    return cplx(a * (c + s), a * (s - c)) * cplx(re, im);
}

// the complex kernels (kid 0: low-frequency Helmholtz exp(ikr)/r in 3-D; kid 1: the
// Hankel function H0^(1)(kr) in 2-D)
__device__ inline cplx complex_kernel(int kid, const double* p, double d0, double d1,
                                      double d2) {
    double r = sqrt(d0 * d0 + d1 * d1 + d2 * d2);
    if (r == 0.0) return cplx(0.0, 0.0);
    double kr = p[0] * r;
    if (kid == 1) return hankel0(kr);
    return cplx(cos(kr) / r, sin(kr) / r);
}

// the kernel's value in the sums' type: real sums of real kernels, complex sums of
// the complex kernel (real kernels with complex charges run as two real sums)
__device__ inline void kernel_value(int kid, const double* p, double d0, double d1, double d2,
                                    double& v) {
    v = real_kernel(kid, p, d0, d1, d2);
}
__device__ inline void kernel_value(int kid, const double* p, double d0, double d1, double d2,
                                    cplx& v) {
    v = complex_kernel(kid, p, d0, d1, d2);
}

template <typename T>
__device__ void direct(int kid, const double* p, const double* tp, int nt, const double* sp,
                       int ns, const T* Q, int k, bool exclude, T* out) {
    int i = blockDim.x * blockIdx.x + threadIdx.x;
    if (i >= nt) return;
    T acc[16];
    for (int c0 = 0; c0 < k; c0 += 16) {
        int kc = min(16, k - c0);
        for (int c = 0; c < kc; ++c) acc[c] = T(0);
        double t0 = tp[3 * i], t1 = tp[3 * i + 1], t2 = tp[3 * i + 2];
        for (int j = 0; j < ns; ++j) {
            if (exclude && i == j) continue;
            double d0 = t0 - sp[3 * j], d1 = t1 - sp[3 * j + 1], d2 = t2 - sp[3 * j + 2];
            T v;
            kernel_value(kid, p, d0, d1, d2, v);
            for (int c = 0; c < kc; ++c) acc[c] += v * Q[(size_t)(c0 + c) * ns + j];
        }
        for (int c = 0; c < kc; ++c) out[(size_t)(c0 + c) * nt + i] = acc[c];
    }
}

// grouped sums (the layout of rom.fmm._numba.grouped_sum): one block per target
// group, its threads over the group's targets; every thread runs over the sources of
// the group's list, the block's threads reading the same source at the same time
template <typename T>
__device__ void grouped(int kid, const double* p, const double* tp,
                        const long long* tstart, const long long* tend,
                        const long long* lptr, const long long* lsrc, const double* sp,
                        const long long* sstart, const long long* send, bool exclude,
                        const T* Q, int k, long long ns, T* out, long long nt) {
    long long g = blockIdx.x;
    T acc[16];
    for (long long i = tstart[g] + threadIdx.x; i < tend[g]; i += blockDim.x) {
        double t0 = tp[3 * i], t1 = tp[3 * i + 1], t2 = tp[3 * i + 2];
        for (int c0 = 0; c0 < k; c0 += 16) {
            int kc = min(16, k - c0);
            for (int c = 0; c < kc; ++c) acc[c] = T(0);
            for (long long li = lptr[g]; li < lptr[g + 1]; ++li) {
                long long s = lsrc[li];
                for (long long j = sstart[s]; j < send[s]; ++j) {
                    if (exclude && i == j) continue;
                    double d0 = t0 - sp[3 * j], d1 = t1 - sp[3 * j + 1], d2 = t2 - sp[3 * j + 2];
                    T v;
                    kernel_value(kid, p, d0, d1, d2, v);
                    for (int c = 0; c < kc; ++c) acc[c] += v * Q[(long long)(c0 + c) * ns + j];
                }
            }
            for (int c = 0; c < kc; ++c) out[(long long)(c0 + c) * nt + i] += acc[c];
        }
    }
}

extern "C" __global__ void grouped_real(int kid, const double* p, const double* tp,
                                        const long long* tstart, const long long* tend,
                                        const long long* lptr, const long long* lsrc,
                                        const double* sp, const long long* sstart,
                                        const long long* send, bool exclude, const double* Q,
                                        int k, long long ns, double* out, long long nt) {
    grouped<double>(kid, p, tp, tstart, tend, lptr, lsrc, sp, sstart, send, exclude, Q, k,
                    ns, out, nt);
}

extern "C" __global__ void grouped_complex(int kid, const double* p, const double* tp,
                                           const long long* tstart, const long long* tend,
                                           const long long* lptr, const long long* lsrc,
                                           const double* sp, const long long* sstart,
                                           const long long* send, bool exclude,
                                           const cplx* Q, int k, long long ns, cplx* out,
                                           long long nt) {
    grouped<cplx>(kid, p, tp, tstart, tend, lptr, lsrc, sp, sstart, send, exclude, Q, k, ns,
                  out, nt);
}

extern "C" __global__ void direct_real(int kid, const double* p, const double* tp, int nt,
                                       const double* sp, int ns, const double* Q, int k,
                                       bool exclude, double* out) {
    direct<double>(kid, p, tp, nt, sp, ns, Q, k, exclude, out);
}

extern "C" __global__ void direct_complex(int kid, const double* p, const double* tp, int nt,
                                          const double* sp, int ns, const cplx* Q, int k,
                                          bool exclude, cplx* out) {
    direct<cplx>(kid, p, tp, nt, sp, ns, Q, k, exclude, out);
}
"""

_MODULE = None


def _module():
    global _MODULE
    if _MODULE is None:
        cupy = import_optional("cupy", "gpu")
        _MODULE = cupy.RawModule(code=_SOURCE, options=("--std=c++14",))
    return _MODULE


def _points(cupy, x: Any, name: str, dim: int | None = None):
    x = cupy.asarray(x)
    if x.ndim != 2 or x.shape[1] not in (2, 3) or (dim is not None and x.shape[1] != dim):
        want = f"(n, {dim})" if dim else "(n, 2) or (n, 3)"
        raise ValueError(f"{name}: expected points of shape {want}, got {tuple(x.shape)}")
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a real array, got dtype {x.dtype}")
    x = x.astype(cupy.float64)
    if x.size and not bool(cupy.isfinite(x).all()):
        raise ValueError(f"{name}: contains NaN or inf")
    out = cupy.zeros((x.shape[0], 3))
    out[:, : x.shape[1]] = x
    return out


def direct_sum(kernel: Any, targets: Any, sources: Any, charges: Any) -> Any:
    """GPU twin of :func:`rom.fmm.direct_sum` (targets None: the sources, no self term)."""
    cupy = import_optional("cupy", "gpu")
    from rom.fmm.kernels import as_kernel

    S = _points(cupy, sources, "sources")
    dim = int(cupy.asarray(sources).shape[1])
    K = as_kernel(kernel, dim)
    if K.kid < 0:
        raise ValueError(
            "kernel: the cupy backend runs the built-in kernels only; use backend='numba' "
            "for a user kernel"
        )
    same = targets is None
    T = S if same else _points(cupy, targets, "targets", dim)
    q = cupy.asarray(charges)
    if q.ndim not in (1, 2) or q.shape[0] != S.shape[0]:
        raise ValueError(
            f"charges: expected shape ({S.shape[0]},) or ({S.shape[0]}, k), got {tuple(q.shape)}"
        )
    if q.dtype.kind not in "fciu":
        raise TypeError(f"charges: expected a numeric array, got dtype {q.dtype}")
    if q.size and not bool(cupy.isfinite(q).all()):
        raise ValueError("charges: contains NaN or inf")
    one = q.ndim == 1
    Q = q[:, None] if one else q
    cplx = K.is_complex or Q.dtype.kind == "c"
    if cplx and not K.is_complex:  # real kernel, complex charges: two real sums
        re = direct_sum(kernel, targets, sources, Q.real)
        im = direct_sum(kernel, targets, sources, Q.imag)
        out = re + 1j * im
        return out[:, 0] if one else out
    dtype = cupy.complex128 if cplx else cupy.float64
    Qt = cupy.ascontiguousarray(Q.T.astype(dtype))
    nt, ns, k = T.shape[0], S.shape[0], Qt.shape[0]
    out = cupy.zeros((k, nt), dtype=dtype)
    fn = _module().get_function("direct_complex" if cplx else "direct_real")
    threads = 128
    blocks = (nt + threads - 1) // threads
    params = cupy.asarray(K.params)
    fn(
        (blocks,),
        (threads,),
        (
            np.int32(K.kid),
            params,
            T,
            np.int32(nt),
            S,
            np.int32(ns),
            Qt,
            np.int32(k),
            np.bool_(same),
            out,
        ),
    )
    out = out.T
    return cupy.ascontiguousarray(out[:, 0] if one else out)


def grouped_sum(
    kid: int,
    params: Any,
    tpts: Any,
    tstart: Any,
    tend: Any,
    lptr: Any,
    lsrc: Any,
    spts: Any,
    sstart: Any,
    send: Any,
    exclude: bool,
    Q: Any,
    out: Any,
) -> None:
    """GPU twin of :func:`rom.fmm._numba.grouped_sum` (real and complex kernels).

    ``out[c, i] += sum_j K(t_i - s_j) Q[c, j]`` over the listed source groups, on cupy
    arrays: points (n, 3) float64, groups and lists int64, ``Q`` (k, n_sources) and
    ``out`` (k, n_targets) C-contiguous, both float64 or both complex128.
    """
    cupy = import_optional("cupy", "gpu")
    n_groups = int(tstart.shape[0])
    if n_groups == 0:
        return
    cplx = out.dtype.kind == "c"
    Q = cupy.ascontiguousarray(Q, dtype=out.dtype)
    if not out.flags.c_contiguous:
        raise ValueError("out: expected a C-contiguous array")
    fn = _module().get_function("grouped_complex" if cplx else "grouped_real")
    fn(
        (n_groups,),
        (64,),
        (
            np.int32(kid),
            params,
            tpts,
            tstart,
            tend,
            lptr,
            lsrc,
            spts,
            sstart,
            send,
            np.bool_(exclude),
            Q,
            np.int32(Q.shape[0]),
            np.int64(Q.shape[1]),
            out,
            np.int64(out.shape[1]),
        ),
    )
