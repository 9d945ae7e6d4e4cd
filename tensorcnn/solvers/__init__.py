"""Solvers apart from estimators: the numerical methods, on small state objects with a
leading batch axis, in array-API code (numpy and torch alike).

* :mod:`.structured` — Tucker/CP-constrained least squares: batched ALS sweeps, a batched
  variable-projection Levenberg–Marquardt, and the multi-start screen that uses them
  (:class:`~tensorcnn.estimators.TuckerRegressor` and
  :class:`~tensorcnn.estimators.CPRegressor` are its batch of one).
* :mod:`.rank_k` — rank-K least squares: variable projection and trust-region Newton on
  the Grassmannian of the short factor, from screened spectral and random starts (numpy, one
  problem at a time; :class:`~tensorcnn.estimators.RankKRegressor` composes it).
"""
