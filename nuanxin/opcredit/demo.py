"""Demo data for this app; called by `manage.py seed_demo` in app order."""

from nuanxin.core.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    """Idempotent: running it twice adds nothing."""
