"""Demo data for deliveries comes from nuanxin.cases.demo, which serves one decision
electronically through delivery_consent_record / delivery_send like a real officer would."""

from nuanxin.core.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    """Idempotent: nothing of its own to add."""
