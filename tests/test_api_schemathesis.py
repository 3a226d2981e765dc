"""schemathesis against ``shafaf serve``: every operation of the OpenAPI description, a bounded number of
generated requests each (valid and invalid), and not one 5xx; statuses, content types and bodies as described.

The description is the one ``/api/openapi.json`` serves (``openapi.document``);
the test also checks that the served copy is that document.
"""

from __future__ import annotations

import httpx
import pytest
from harvestable_portal import build
from served import served

from shafaf.datasette_plugins.catalogs import openapi

pytestmark = pytest.mark.slow  # schemathesis generates requests for every operation

# Optional test packages (pip install -e '.[test]'): without them this module is skipped, with the reason.
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install -e '.[test]')")
hypothesis = pytest.importorskip("hypothesis", reason="hypothesis (schemathesis') is not installed")
checks = pytest.importorskip("schemathesis.checks")
GenerationMode, HealthCheck, settings = schemathesis.GenerationMode, hypothesis.HealthCheck, hypothesis.settings
content_type_conformance, not_a_server_error = checks.content_type_conformance, checks.not_a_server_error
response_schema_conformance, status_code_conformance = (
    checks.response_schema_conformance,
    checks.status_code_conformance,
)

EXAMPLES = 15  # per operation: ~30 operations, a minute on a shared machine
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(openapi.document("http://127.0.0.1"))
# Valid requests and invalid ones (wrong types, out-of-pattern ids, bodies that are not objects): none may be a 5xx.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("schemathesis")
    path, _, data = build(root)
    with served(path, data.root, root / "serve.log") as url:
        yield url


def test_the_served_description_is_the_generated_one(base_url: str) -> None:
    served_doc = httpx.get(f"{base_url}/api/openapi.json", timeout=10).json()
    assert served_doc == openapi.document(base_url)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api(case, base_url: str) -> None:
    case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=20)
