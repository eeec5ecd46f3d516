from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict:
    return {
        "BUREAU_NAME": settings.BUREAU_NAME,
        "BUREAU_CONTACT": settings.BUREAU_CONTACT,
        "DEMO_MODE": settings.DEMO_MODE,
    }
