from django.utils import translation

from nuanxin.core.errors import DomainError
from nuanxin.insight.selectors import parse_resolution


def test_errors_read_in_english_when_asked():
    with translation.override("en"):
        try:
            parse_resolution(12)
        except DomainError as exc:
            assert exc.message == "The H3 resolution must be between 8 and 10 (got: 12)."
        else:
            raise AssertionError("no error")
