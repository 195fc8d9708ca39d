"""Shared fixtures: the real assistant (bundled e5 encoder, index built once per test session in a
tmp dir), and a hook that lets fixtures see whether their test failed (for failure screenshots).

No test may write into the repo or the real home: before any test is collected, the places zanger
resolves at its edge (the index, the chat's line history) point into a tmp dir for the whole session,
for this process and every `zanger` subprocess it starts.
"""
import os
import shutil
import tempfile

import pytest

from assistant.settings import Settings


_SANDBOX = tempfile.mkdtemp(prefix="zanger-tests-")


def pytest_configure(config):
    os.environ["ZANGER_INDEX_DIR"] = os.path.join(_SANDBOX, "index")
    os.environ["XDG_DATA_HOME"] = os.path.join(_SANDBOX, "data")
    os.environ["XDG_STATE_HOME"] = os.path.join(_SANDBOX, "state")
    os.environ[HASHING_PARAMS_VAR] = _params_for_the_hashing_encoder()


# The shipped parameters' answerability model reads the e5 encoder's similarities; the `hashing` encoder that
# command-line tests run for speed has none of that meaning. Those tests get the shipped fusion weights without
# the model (every question answered), via $ZANGER_PARAMS pointing at the file this names.
HASHING_PARAMS_VAR = "ZANGER_TEST_HASHING_PARAMS"


def _params_for_the_hashing_encoder() -> str:
    import dataclasses

    from assistant.params import PARAMS_FILE, RetrievalParams

    params = dataclasses.replace(RetrievalParams.load(PARAMS_FILE), abstain_coef={}, abstain_bias=0.0)
    path = os.path.join(_SANDBOX, "params-hashing.json")
    params.save(path)
    return path


def pytest_unconfigure(config):
    shutil.rmtree(_SANDBOX, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    """Default settings with the index in a fresh tmp dir (never the repo's index/)."""
    return Settings(index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def assistant(settings):
    """The real assistant over the bundled e5 encoder; the first use builds the index (a few seconds)."""
    from assistant.assistant import Assistant

    return Assistant.load(settings)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Expose each phase's report as item.rep_setup / rep_call / rep_teardown.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_collection_modifyitems(items):
    """A test that uses the real assistant loads the bundled model: mark it, so `-m "not model"` loads none."""
    for item in items:
        if "assistant" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.model)
