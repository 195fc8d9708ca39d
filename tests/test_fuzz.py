"""The API fuzzed from its own OpenAPI schema (schemathesis): no 500s, and every answer is one the schema declares.

Schemathesis generates requests that fit the schema (positive) and requests that break it (negative)
for every operation, plus its boundary-value "coverage" cases, sends them through the ASGI app and
checks each response: not a server error, a status code the route declares, a body valid against the
declared model, the declared content type, and invalid input refused with a 4xx.

The bulk runs over the real `Assistant` code with the fast `hashing` encoder (thousands of requests
in well under a minute); a smaller pass runs over the session's real e5 assistant, so the contract
is also checked on real answers.
"""
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from assistant.assistant import Assistant
from assistant.settings import Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
]
BULK_EXAMPLES = 1500  # Hypothesis examples per operation (both modes share them), plus the coverage cases
REAL_EXAMPLES = 100  # the same over the real e5 assistant

# The schema is what create_app publishes (building the app loads nothing); requests go to the
# app of the fixture below, whose settings have the same limits.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
schema.config.generation.update(modes=["positive", "negative"])
# Derandomized: the same requests every run, so a failure reproduces and CI does not flake.
FUZZ = dict(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
SENT: Counter = Counter()  # (assistant, "METHOD /path", status) -> requests


@pytest.fixture(scope="module")
def hashing_app(tmp_path_factory):
    """The app over the real Assistant code with the fast hashing encoder."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("fuzz-index"), encoder="hashing")
    return create_app(settings, assistant=Assistant.load(settings))


@pytest.fixture(scope="module")
def e5_app(settings, assistant):
    """The app over the session's real e5 assistant."""
    return create_app(settings, assistant=assistant)


def send(case, app, assistant: str) -> None:
    response = case.call_and_validate(app=app, checks=CHECKS)
    SENT[assistant, f"{case.method.upper()} {case.path}", response.status_code] += 1


@schema.parametrize()
@hypothesis_settings(max_examples=BULK_EXAMPLES, **FUZZ)
def test_fuzzed_requests_get_declared_answers(case, hashing_app):
    send(case, hashing_app, "hashing")


@schema.parametrize()
@hypothesis_settings(max_examples=REAL_EXAMPLES, **FUZZ)
@pytest.mark.model
def test_fuzzed_requests_get_declared_answers_from_the_real_assistant(case, e5_app):
    send(case, e5_app, "e5")


def test_every_route_declares_the_errors_any_route_can_return():
    """Middleware refuses a bad Content-Length (400) or a body over the limit (413) on any route, even a GET."""
    spec = create_app(Settings()).openapi()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            errors = {status: r for status, r in operation["responses"].items() if status[0] in "45"}
            assert {"400", "413", "500"} <= set(errors), (method, path)
            for response in errors.values():
                assert response["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")


def test_thousands_of_requests_were_fuzzed():
    """Runs after the fuzz tests (file order): the volume actually sent, by assistant, operation and status."""
    if not SENT:
        pytest.skip("run together with the fuzz tests above")
    for key, count in sorted(SENT.items()):
        print(*key, count)
    by_assistant = Counter()
    for (assistant, _, _), count in SENT.items():
        by_assistant[assistant] += count
    print("fuzz requests sent:", dict(by_assistant))
    assert by_assistant["hashing"] >= 2000
    assert {status for (_, operation, status) in SENT if operation == "POST /ask"} >= {200, 422}
