"""Write services of the violations app (parties, violations, slips)."""

from __future__ import annotations

from nuanxin.violations.services_party import party_create, party_for_merchant, party_for_operator

__all__ = ["party_create", "party_for_merchant", "party_for_operator"]
