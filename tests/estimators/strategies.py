"""Small CNN geometries with a full-column-rank design (l_j ≤ q_j, stride 1)."""

from hypothesis import strategies as st

from tensorcnn.cnn import CNNSpec


@st.composite
def full_rank_spec(draw, max_modes: int = 3, max_kernels: int = 3):
    n_modes = draw(st.integers(1, max_modes))
    d, l, q = [], [], []
    for _ in range(n_modes):
        lj = draw(st.integers(1, 3))
        qj = draw(st.integers(lj, 3))
        pj = draw(st.integers(1, 2))
        d.append(pj * qj + lj - 1)
        l.append(lj)
        q.append(qj)
    spec0 = CNNSpec(tuple(d), tuple(l), tuple(q), 1)
    P = 1
    for p in spec0.pooled_shape:
        P *= p
    L = 1
    for lj in l:
        L *= lj
    K = draw(st.integers(1, max(1, min(max_kernels, P, L))))
    return CNNSpec(tuple(d), tuple(l), tuple(q), K)
