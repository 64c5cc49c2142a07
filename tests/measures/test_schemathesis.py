"""schemathesis against the OpenAPI document of the check and feedback operations, in-process
through Django's WSGI application with a valid key: whatever it sends, no server error, and
every response is documented for its operation with the documented body (schemathesis's own
checks). A bounded number of examples keeps it fast."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from xinyong.measures.models import Check
from xinyong.subjects.models import Subject

APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP).include(path_regex=r"^/api/v1/checks")


@pytest.fixture
def token(check_key, db):
    return check_key("220000-FGW")


@pytest.fixture(autouse=True)
def keep_connection():
    """Calling the WSGI application directly sends request_started/finished, whose handler closes
    the test's database connection (inside its transaction); Django's test client disconnects it
    for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error_and_documented_responses(case, token, keep_connection):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (case.operation.label, response.status_code, response.text[:500])
    case.validate_response(response, checks=[schemathesis.checks.status_code_conformance, schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance])


@pytest.mark.django_db
def test_the_operations_are_found():
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert labels == {
        "POST /api/v1/checks", "POST /api/v1/checks/bulk", "POST /api/v1/checks/bulk/file",
        "POST /api/v1/checks/feedback", "POST /api/v1/checks/{check}/feedback",
    }
    assert Check.objects.count() == 0 and Subject.objects.count() == 0
