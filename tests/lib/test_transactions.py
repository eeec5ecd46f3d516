"""`in_code_transaction`: the test case's own atomic blocks do not count."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from nuanxin.audit.models import AuditEvent
from nuanxin.audit.services import audit_record
from nuanxin.lib.transactions import in_code_transaction

pytestmark = pytest.mark.django_db


def _append() -> None:
    audit_record(actor=None, actor_label="system:test", action="test.append", object_type="t")


def test_only_a_block_the_code_opened_counts() -> None:
    assert connection.in_atomic_block  # the test's own wrapper
    assert not in_code_transaction(connection)
    with transaction.atomic():
        assert in_code_transaction(connection)
        with transaction.atomic():
            assert in_code_transaction(connection)
    assert not in_code_transaction(connection)


def test_an_audit_append_without_its_services_transaction_fails_in_tests_as_for_real() -> None:
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        _append()
    with transaction.atomic():
        _append()
    assert AuditEvent.objects.filter(action="test.append").count() == 1


@pytest.mark.django_db(transaction=True)
def test_outside_any_test_wrapper_it_is_the_plain_transaction_state() -> None:
    assert not connection.in_atomic_block and not in_code_transaction(connection)
    with transaction.atomic():
        assert in_code_transaction(connection)
