"""Reading the data for a specification (massincidents.spec.data)."""

from __future__ import annotations

import pytest

import massincidents as mi
from massincidents.spec import SpecError, load_spec, prepare_data


def test_misspelt_derived_column_gets_did_you_mean() -> None:
    df = mi.datasets.simulate_panel(31, 6, seed=2)
    spec = load_spec(
        {
            "version": 1,
            "data": {"unit": "province", "time": "year"},
            "outcome": {"count": "y", "exposure": "population"},
            "transforms": {"log_pop": {"log": "population"}},
            "causes": {"social": ["x1", "log_ppo"], "solving": [], "legal": [], "system": []},
            "measures": {m: [] for m in mi.spec.MEASURES},
            "models": ["poisson"],
        }
    )
    with pytest.raises(SpecError) as err:
        prepare_data(df, spec)
    text = str(err.value)
    assert "did you mean 'log_pop' (derived under transforms:)?" in text
    assert "the transforms derive log_pop" in text
    assert "causes.social.1" in text
