"""Issue 12's proof: three laptops, random work and random exchanges, always converge and lose
nothing (the model is in convergence_model.py; see its docstring for the properties).

The default profile runs in the suite in about a minute; before a release run
`JIANGXIN_HYPOTHESIS_PROFILE=release python -m pytest tests/services/test_convergence.py`.
"""

from __future__ import annotations

from tests.services.convergence_model import SharingModel, profile

TestSharingConverges = SharingModel.TestCase
TestSharingConverges.settings = profile()
