"""Fixtures of the CLI tests: the tiny saved model and the generated loops (built once per
session, see `tests.cli`)."""

from __future__ import annotations

import pytest

from tests.cli import loop_files, tiny_model_file


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """Path of a saved, untrained model of the tiny recipe."""
    return tiny_model_file(tmp_path_factory)


@pytest.fixture(scope="module")
def loops(tmp_path_factory):
    """Paths of the generated loops (`tests.cli.loop_files`)."""
    return loop_files(tmp_path_factory)
