"""Leave-one-cluster-out refits of the count models (``massincidents.counts.jackknife``).

Checked against the definition: the model itself (``mi.poisson``,
``mi.negbin``) fitted on the estimation sample without each cluster.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.counts.separation import SeparationWarning


def _separated_without_cluster_zero(seed: int = 3) -> pd.DataFrame:
    """``d`` is 1 in clusters 0 and 1 late; only cluster 0 has positive counts there.

    Without cluster 0, ``d`` is non-zero only where the outcome is zero: the
    model leaves those rows out as separated and ``d`` is not identified.
    """
    rng = np.random.default_rng(seed)
    G, T = 8, 12
    df = pd.DataFrame({"cl": np.repeat(np.arange(G), T), "year": np.tile(np.arange(T), G)})
    df["x1"] = rng.normal(size=len(df))
    df["d"] = ((df["cl"] <= 1) & (df["year"] >= 8)).astype(float)
    df["cnt"] = rng.poisson(np.exp(0.5 + 0.3 * df["x1"]))
    df.loc[(df["cl"] == 1) & (df["d"] == 1), "cnt"] = 0
    df.loc[(df["cl"] == 0) & (df["d"] == 1), "cnt"] += 2
    return df


@pytest.mark.parametrize("formula", ["cnt ~ x1 + d", "cnt ~ x1 + d | year"])
def test_separation_created_by_leaving_a_cluster_out_is_not_an_estimate(formula) -> None:
    """The refit without cluster 0 drops the separated rows, as mi.poisson does on those data.

    Before: the refit kept them and reported where IRLS stopped (d = -22.8),
    a CV3 standard error of 21.5 for d printed as a number.
    """
    df = _separated_without_cluster_zero()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        with pytest.warns(mi.SingularJackknifeWarning, match=r"\b0: d\b"):
            fit = mi.poisson(formula, df, vcov={"CV3": "cl"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            warnings.simplefilter("ignore", UserWarning)  # 'd' is constant zero and dropped
            brute = mi.poisson(formula, df[df["cl"] != 0])
    assert np.isnan(fit.bse["d"])
    assert "d" not in brute.params.index  # the model itself: d is not identified
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        with pytest.warns(mi.SingularJackknifeWarning):
            infl = mi.influence(fit, "cl")
    assert np.isnan(infl.leave_out_params.loc[0, "d"])
    np.testing.assert_allclose(
        infl.leave_out_params.loc[0, "x1"], brute.params["x1"], rtol=1e-7
    )
    # every other cluster: the model's own refit
    for g in range(1, 8):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mi.FewClustersWarning)
            other = mi.poisson(formula, df[df["cl"] != g])
        np.testing.assert_allclose(
            infl.leave_out_params.loc[g, list(other.params.index)], other.params, rtol=1e-6
        )


def _overdispersed_only_through_one_cluster() -> pd.DataFrame:
    """Seed 9 of a random panel: without cluster 6 NB2's theta grows without bound."""
    rng = np.random.default_rng(9)
    n = int(rng.integers(60, 200))
    df = pd.DataFrame(
        {
            "cl": rng.integers(0, 7, n),
            "year": rng.integers(0, 5, n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n) * 1e3,
            "pop": rng.uniform(1, 50, n),
        }
    )
    rng.integers(0, 6, size=(2, n))  # two draws of the original panel, unused here
    lam = np.exp(-1.5 + 0.4 * df["x1"] + 0.0002 * df["x2"] + 0.1 * df["year"]) * df["pop"] / 10
    df["cnt"] = rng.poisson(lam * rng.gamma(2, 0.5, n))
    return df


def test_failed_refit_says_why_and_names_the_cluster_plainly() -> None:
    """The refusal names cluster 6 as the data hold it and the model's own reason.

    Before: "cluster np.int64(6) ... (IRLS did not converge ...)" when IRLS had
    converged and NB2's theta was what diverged.
    """
    df = _overdispersed_only_through_one_cluster()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        fit = mi.negbin("cnt ~ x1 + x2 | cl", df, exposure="pop")
        with pytest.raises(mi.DataError) as caught:
            fit.with_vcov({"CV3": "cl"})
    message = str(caught.value)
    assert "without cluster 6 " in message and "np.int64" not in message
    assert "theta" in message


def test_conditional_negbin_refusal_of_cv3_does_not_say_negbin_has_it() -> None:
    """Before: 'available for mi.linear, mi.poisson and mi.negbin fits', to a mi.negbin user."""
    df = mi.datasets.simulate_panel(seed=1)
    with pytest.raises(NotImplementedError, match="not the conditional"):
        mi.negbin("y ~ x1 + x2 | province", df, exposure="population", conditional=True,
                  vcov={"CV3": "province"})


def test_leave_out_refits_run_the_separation_checks_the_model_ran() -> None:
    # the jackknife re-ran all three checks even when the user had turned some off
    import massincidents as mi

    data = mi.datasets.simulate_panel(n_provinces=25, n_years=8, seed=3)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mi.poisson("y ~ x1 | province + year", data, separation=("fe",))
    assert fit._revcov.leave_out.separation == ("fe",)


def _one_step_panel(seed: int = 11) -> pd.DataFrame:
    """Unbalanced clusters, year effects not nested in them, and one year held by one cluster."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(4, 15, size=30)
    cl = np.repeat([f"c{i:02d}" for i in range(30)], sizes)
    year = rng.integers(2000, 2008, size=cl.size)
    year[cl == "c07"] = np.where(np.arange((cl == "c07").sum()) < 2, 2011, 2001)
    shock = rng.normal(size=30)[pd.factorize(cl)[0]] * 0.3
    x1, x2 = rng.normal(size=cl.size), rng.normal(size=cl.size)
    cnt = rng.poisson(np.exp(0.8 + 0.3 * x1 - 0.2 * x2 + shock))
    return pd.DataFrame({"cl": cl, "year": year, "x1": x1, "x2": x2, "cnt": cnt})


@pytest.mark.parametrize(
    ("model", "formula"),
    [
        (mi.poisson, "cnt ~ x1 + x2 | year"),
        (mi.poisson, "cnt ~ x1 + x2 | cl + year"),
        (mi.negbin, "cnt ~ x1 + x2 | year"),
    ],
)
def test_one_step_with_effects_not_nested_is_closed_form_and_equals_each_clusters_step(
    model, formula, monkeypatch
) -> None:
    """The year effects are not nested in the clusters: the one-step jackknife is still in
    closed form (the weighted least-squares jackknife with the year dummies as regressors),
    equal to one Fisher-scoring step on each leave-out sample. Only the cluster that holds
    the year 2011 alone (its dummy is undefined without it) takes its step on its own rows.
    """
    from massincidents.counts import jackknife

    df = _one_step_panel()
    one_step = {"CV3": "cl", "jackknife": "one-step"}
    with monkeypatch.context() as m:  # the definition: one step on each leave-out sample
        m.setattr(jackknife, "fixed_effect_dummies", lambda *args, **kwargs: None)
        per_cluster = model(formula, df, vcov={"CRV1": "cl"}).with_vcov(one_step)
    own_rows = jackknife.LikelihoodLeaveOut._one_step
    left_out: list[int] = []

    def counted(self, keep):
        left_out.append(int((~keep).sum()))
        return own_rows(self, keep)

    monkeypatch.setattr(jackknife.LikelihoodLeaveOut, "_one_step", counted)
    closed = model(formula, df, vcov={"CRV1": "cl"}).with_vcov(one_step)
    assert left_out == [int((df["cl"] == "c07").sum())]  # c07 holds 2011 alone, no other
    np.testing.assert_allclose(closed.bse.to_numpy(), per_cluster.bse.to_numpy(), rtol=1e-8)
    assert not np.allclose(  # the step of c07 matters: it is not left out
        closed.bse.to_numpy(),
        model(formula, df[df["cl"] != "c07"], vcov={"CRV1": "cl"}).with_vcov(one_step)
        .bse.to_numpy(),
        rtol=1e-6,
    )


def _wide_means_panel(seed: int = 2) -> pd.DataFrame:
    """Means spanning four orders of magnitude (a strong regressor), overdispersed counts."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(4, 15, size=30)
    cl = np.repeat([f"c{i:02d}" for i in range(30)], sizes)
    year = rng.integers(2000, 2008, size=cl.size)
    shock = rng.normal(size=30)[pd.factorize(cl)[0]] * 0.3
    x1, x2 = 4 * rng.normal(size=cl.size), rng.normal(size=cl.size)
    mean = np.exp(1 + 0.75 * x1 - 0.2 * x2 + shock) * rng.gamma(2, 0.5, cl.size)
    return pd.DataFrame({"cl": cl, "year": year, "x1": x1, "x2": x2, "cnt": rng.poisson(mean)})


@pytest.mark.parametrize(
    ("model", "formula", "options"),
    [
        (mi.poisson, "cnt ~ x1 + x2 | cl + year", {}),
        (mi.negbin, "cnt ~ x1 + x2 | year", {"tol": 1e-6}),
        (mi.negbin, "cnt ~ x1 + x2 | cl", {"tol": 1e-6}),  # nested: the other closed form
        (mi.negbin, "cnt ~ x1 + x2", {"tol": 1e-6}),
    ],
)
def test_one_step_closed_form_is_the_step_on_each_sample_when_the_fit_stopped_at_its_tolerance(
    model, formula, options, monkeypatch
) -> None:
    """An iterative fit stops at its tolerance: the full sample's scores sum to nearly, not
    exactly, zero (NB2 does not bring its effects to their exact maximum; Poisson's slopes
    neither). One step on the rows without cluster g solves with S - S_g on the right, not
    -S_g. Before, the closed form dropped S: its standard errors were off the per-cluster
    step's by 4e-10 (Poisson at its default tolerance) to 2e-7 (NB2 at tol=1e-6) here.
    """
    from massincidents.counts import jackknife

    df = _wide_means_panel()
    one_step = {"CV3": "cl", "jackknife": "one-step"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        closed = model(formula, df, vcov={"CRV1": "cl"}, **options).with_vcov(one_step)
        with monkeypatch.context() as m:  # the definition: one step on each leave-out sample
            m.setattr(jackknife, "_all_nested", lambda *args: False)
            m.setattr(jackknife, "fixed_effect_dummies", lambda *args, **kwargs: None)
            per_cluster = model(formula, df, vcov={"CRV1": "cl"}, **options).with_vcov(one_step)
    np.testing.assert_allclose(closed.bse.to_numpy(), per_cluster.bse.to_numpy(), rtol=1e-10)
