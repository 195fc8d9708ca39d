"""Shared fixtures: the real assistant (bundled e5 encoder, index built once per test session in a
tmp dir), and a hook that lets fixtures see whether their test failed (for failure screenshots)."""
import pytest

from assistant.settings import Settings


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
