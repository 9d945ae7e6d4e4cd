"""Batched linear algebra on the array API: one code path for numpy and torch (CPU or CUDA).

Every function takes arrays with a leading batch axis B (one member per start or
replication) and uses only array-API calls (:mod:`array_api_compat`), so the same code runs
on numpy and on torch tensors of any device; nothing branches on the backend.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat.numpy as _numpy_namespace
import numpy as np
from array_api_compat import array_namespace, device

from ..tenalg import SMALL_TRAIL

# a private module: these kernels are the structured solver's, unchecked by design (its
# public entry, structured.fit_multistart, checks its inputs), so there is no __all__

#: Eigenvalues below this fraction of a system's largest count as zero (the minimum-norm
#: solution on the rest, as ``numpy.linalg.lstsq(rcond=1e-10)`` gives).
_RCOND = 1e-10


def namespace(*arrays: Any) -> Any:
    """``array_api_compat.array_namespace(*arrays)``, answered at once for numpy arrays.

    The solver asks ~50 times per Levenberg–Marquardt iteration, and array_namespace's
    checks cost ~7 µs a call: 15 % of a small-n Tucker fit. Other arrays (torch, …) take
    array_namespace's path; the namespace is the same object either way.
    """
    if all(type(a) is np.ndarray for a in arrays):
        return _numpy_namespace
    return array_namespace(*arrays)


def psd_solve(matrix: Any, rhs: Any, rcond: float = _RCOND) -> Any:
    """Solutions of B symmetric positive semi-definite systems S x = r.

    A direct solve where S is numerically definite (its Cholesky factor's diagonal ratio
    above √rcond); elsewhere the minimum-norm solution from a symmetric eigendecomposition
    (fewer samples than unknowns, a start with a zero column), member by member.

    Parameters
    ----------
    matrix : array of shape (B, q, q)
    rhs : array of shape (B, q)

    Returns
    -------
    array of shape (B, q)
    """
    xp = namespace(matrix, rhs)
    try:
        factor = xp.linalg.cholesky(matrix)
    except Exception:      # numpy's LinAlgError, torch's RuntimeError: some member not PD
        if matrix.shape[0] == 1:
            return _eigh_solve(matrix, rhs, rcond)
        # a batched factorisation fails as a whole: decide member by member, as each would
        # alone (a member's numbers must not depend on the others in its batch)
        return xp.concat([psd_solve(matrix[b:b + 1], rhs[b:b + 1], rcond)
                          for b in range(matrix.shape[0])], axis=0)
    diagonal = xp.abs(xp.linalg.diagonal(factor))
    definite = (xp.min(diagonal, axis=-1) > math.sqrt(rcond) * xp.max(diagonal, axis=-1))
    if bool(xp.all(definite)):
        return xp.linalg.solve(matrix, rhs[..., None])[..., 0]
    # the definite members solved directly (the others' systems swapped for I, so that the
    # batched solve cannot fail), the others by eigendecomposition
    eye = xp.eye(matrix.shape[-1], dtype=matrix.dtype, device=device(matrix))
    direct = xp.linalg.solve(select(definite, matrix, eye + 0.0 * matrix), rhs[..., None])
    return select(definite, direct[..., 0], _eigh_solve(matrix, rhs, rcond))


def _eigh_solve(matrix: Any, rhs: Any, rcond: float) -> Any:
    """Minimum-norm solutions (eigenvalues below rcond × the largest dropped)."""
    xp = namespace(matrix, rhs)
    values, vectors = xp.linalg.eigh(matrix)
    cutoff = rcond * xp.max(xp.abs(values), axis=-1, keepdims=True)
    keep = values > cutoff
    inverse = xp.where(keep, 1.0 / xp.where(keep, values, 1.0), 0.0)
    projected = xp.squeeze(vectors.mT @ rhs[..., None], axis=-1)
    return xp.squeeze(vectors @ (inverse * projected)[..., None], axis=-1)


def lstsq(design: Any, y: Any) -> tuple[Any, Any, Any]:
    """Least squares per member through the normal equations (min-norm when singular).

    The blocks of an ALS sweep have few unknowns (q ≤ a few dozen) and many rows: a q × q
    solve keeps a block update at O(n q²).

    Parameters
    ----------
    design : array of shape (B, n, q)
    y : array of shape (B, n) or (1, n)

    Returns
    -------
    coef : array of shape (B, q)
    residual : array of shape (B, n)
    f : array of shape (B,)
        Mean squared residual.
    """
    xp = namespace(design, y)
    transposed = design.mT
    coef = psd_solve(transposed @ design, xp.squeeze(transposed @ y[..., None], axis=-1))
    residual = y - xp.squeeze(design @ coef[..., None], axis=-1)
    return coef, residual, xp.mean(residual * residual, axis=-1)


def mode_dot(tensor: Any, matrix: Any, axis: int) -> Any:
    """T ×_axis H per member: T (B, …, d, …) with d at ``axis``, H (B, c, d).

    Returns
    -------
    array of T's shape with ``axis`` of size c
    """
    xp = namespace(tensor, matrix)
    shape = list(tensor.shape)
    batch, size = shape[0], shape[axis]
    lead, trail = math.prod(shape[1:axis]), math.prod(shape[axis + 1:])
    # no transposes: the tensor is read in place as (B, lead, d, trail), one small matrix
    # product per (member, lead index) — as tenalg.mode_products does for one member
    if trail == 1:
        out = xp.reshape(tensor, (batch, lead, size)) @ matrix.mT
    elif trail < SMALL_TRAIL:
        # few trailing entries: one copy with the mode last and one product per member,
        # not a loop of tiny products per lead index
        flat = xp.reshape(xp.reshape(tensor, (batch, lead, size, trail)).mT,
                          (batch, lead * trail, size))
        out = xp.reshape(flat @ matrix.mT, (batch, lead, trail, -1))
        out = out.mT
    else:
        out = matrix[:, None, :, :] @ xp.reshape(tensor, (batch, lead, size, trail))
    shape[axis] = matrix.shape[1]
    return xp.reshape(out, tuple(shape))


def select(mask: Any, new: Any, old: Any) -> Any:
    """``new`` where ``mask`` (B,) is true, else ``old``, member by member."""
    xp = namespace(new, old)
    return xp.where(xp.reshape(mask, (-1,) + (1,) * (new.ndim - 1)), new, old)
