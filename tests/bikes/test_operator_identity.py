"""An operator's legal identity (USCC, seat, representative) is validated and named as the party."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError

from nuanxin.bikes.models import Operator
from nuanxin.lib.uscc import uscc_generate
from nuanxin.violations.services_party import party_for_operator

pytestmark = pytest.mark.django_db


def test_a_wrong_check_digit_is_refused_with_the_reason() -> None:
    good = uscc_generate(random.Random(7))
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    op = Operator(code="demo-op", name="示例单车", uscc=bad)
    with pytest.raises(ValidationError) as caught:
        op.full_clean()
    assert "第18位校验码" in str(caught.value.message_dict["uscc"])
    op.uscc = good
    op.full_clean()  # a valid code passes


def test_the_party_for_an_operator_carries_its_legal_identity() -> None:
    code = uscc_generate(random.Random(11))
    op = Operator.objects.create(
        code="demo-op",
        name="示例单车",
        uscc=code,
        address="亳州市谯城区汤王大道 268 号",
        legal_representative="王晓东",
    )
    party = party_for_operator(operator=op, by=None)
    assert (party.id_number, party.address, party.legal_representative) == (
        code,
        "亳州市谯城区汤王大道 268 号",
        "王晓东",
    )
    assert party.kind == party.Kind.ORGANISATION
