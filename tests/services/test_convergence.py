"""Issue 12's proof: three laptops, random work and random exchanges, always converge and lose
nothing (the model is in convergence_model.py; its docstring lists the properties checked).

The default profile runs in the suite in about a minute; before a release run
`JIANGXIN_HYPOTHESIS_PROFILE=release python -m pytest -p no:timeout \
    tests/services/test_convergence.py`
(see README, "Testing").
"""

from __future__ import annotations

from tests.services.convergence_model import (
    COVERAGE,
    SharingModel,
    SharingModelWithNameClashes,
    profile,
)

TestSharingConverges = SharingModel.TestCase
TestSharingConverges.settings = profile()

# Laptops that name different teams alike: the same team is renamed "name (2)" on every
# laptop (the one with the greater id), so they settle after one exchange.
TestSharingConvergesWithNameClashes = SharingModelWithNameClashes.TestCase
TestSharingConvergesWithNameClashes.settings = profile()


def test_laptops_and_a_hub_converge(pg_cluster: object) -> None:
    """The hub as one more peer: laptops sync with it in random order, interleaved with pack
    exchanges (a small budget here; the release profile runs many more)."""
    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    from tests.services.convergence_model import SharingModelWithHub

    SharingModelWithHub.cluster = pg_cluster
    budget = profile()
    small = settings(
        budget,
        max_examples=min(budget.max_examples, 3),
        stateful_step_count=min(budget.stateful_step_count, 30),
    )
    try:
        run_state_machine_as_test(SharingModelWithHub, settings=small)
    finally:
        SharingModelWithHub.cluster = None


def test_laptops_converge_through_hub_restores(pg_cluster: object) -> None:
    """The hub is backed up and restored from older backups between syncs: laptops notice,
    start over, send back what the hub lost, and still converge with nothing lost."""
    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    from tests.services.convergence_model import SharingModelWithHubRestores

    SharingModelWithHubRestores.cluster = pg_cluster
    budget = profile()
    small = settings(
        budget,
        max_examples=min(budget.max_examples, 3),
        stateful_step_count=min(budget.stateful_step_count, 30),
    )
    before = COVERAGE["hub restores that lost something"]
    try:
        run_state_machine_as_test(SharingModelWithHubRestores, settings=small)
    finally:
        SharingModelWithHubRestores.cluster = None
    # The runs took the hub back to an older state at least once.
    assert COVERAGE["hub restores that lost something"] > before


def test_the_runs_above_made_and_resolved_conflicts() -> None:
    """Runs after the model's tests in this module (pytest keeps file order): a model that
    never made a conflict would prove nothing about resolving them."""
    if not COVERAGE["imports"]:
        import pytest

        pytest.skip("run together with the model tests above")
    assert COVERAGE["conflicts made by imports during the run"] > 0
    assert COVERAGE["conflicts resolved during the run"] > 0
