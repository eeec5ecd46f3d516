from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from nuanxin.audit.models import AuditEvent
from nuanxin.audit.services import audit_record


def _write(n: int, actor: object = None) -> None:
    for i in range(n):
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="test.touch",
                object_type="test",
                object_id=i,
                before={"n": i},
                after={"n": i + 1, "name": "老王烧烤"},
            )


@pytest.mark.django_db
def test_it_verifies_an_intact_chain(capsys: pytest.CaptureFixture[str]) -> None:
    _write(5)
    call_command("audit_verify")
    assert "intact: 5 rows" in capsys.readouterr().out


@pytest.mark.django_db
def test_it_names_an_edited_row() -> None:
    _write(5)
    AuditEvent.objects.filter(seq=3).update(after={"n": 999})
    with pytest.raises(CommandError, match=r"row 3.*edited"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_it_names_a_deleted_row() -> None:
    _write(5)
    AuditEvent.objects.filter(seq=2).delete()
    with pytest.raises(CommandError, match="row 2"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_it_catches_a_deleted_tail() -> None:
    _write(4)
    AuditEvent.objects.filter(seq=4).delete()
    with pytest.raises(CommandError, match=r"row 4.*tail"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_it_catches_reordered_rows() -> None:
    _write(4)
    a, b = AuditEvent.objects.get(seq=2), AuditEvent.objects.get(seq=3)
    AuditEvent.objects.filter(pk=a.pk).update(seq=100)
    AuditEvent.objects.filter(pk=b.pk).update(seq=2)
    AuditEvent.objects.filter(pk=a.pk).update(seq=3)
    with pytest.raises(CommandError, match="row 2"):
        call_command("audit_verify")


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_write_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(actor=None, action="x", object_type="t", object_id=1)


@pytest.mark.django_db
def test_it_records_the_actor_and_ip(personas: object) -> None:
    chief = personas.chief  # type: ignore[attr-defined]
    with transaction.atomic():
        event = audit_record(
            actor=chief,
            action="case.approve",
            object_type="case",
            object_id=7,
            source_ip="10.1.2.3",
            before={"status": "review"},
            after={"status": "approved"},
        )
    event.refresh_from_db()
    assert (event.actor_id, event.actor_label, event.source_ip) == (chief.pk, "chief", "10.1.2.3")


@pytest.mark.django_db
def test_bulk_rows_continue_the_chain_exactly_like_single_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from nuanxin.audit.models import AuditHead
    from nuanxin.audit.services import AuditItem, audit_record_many

    _write(2)
    head = AuditHead.objects.get(id=1)
    items = [
        AuditItem(action="test.bulk", obj=head, before={"n": i}, after={"name": "老王烧烤"})
        for i in range(3)
    ]
    with transaction.atomic():
        assert audit_record_many(items=items, actor_label="system:test") == 3
    _write(1)
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r.action for r in rows[2:5]] == ["test.bulk"] * 3
    assert rows[3].before == {"n": 1} and rows[3].actor_label == "system:test"
    call_command("audit_verify")
    assert "intact: 6 rows" in capsys.readouterr().out


@pytest.mark.django_db
def test_bulk_rows_roll_back_with_their_transaction() -> None:
    from nuanxin.audit.models import AuditHead
    from nuanxin.audit.services import AuditItem, audit_record_many

    _write(1)
    head = AuditHead.objects.get(id=1)
    with pytest.raises(RuntimeError, match="boom"), transaction.atomic():
        audit_record_many(items=[AuditItem(action="t", obj=head)], actor_label="system")
        raise RuntimeError("boom")
    assert AuditEvent.objects.count() == 1
    assert AuditHead.objects.get(id=1).last_seq == 1
