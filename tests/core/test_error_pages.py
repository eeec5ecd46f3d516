"""Refusals and missing pages answer in the site's own pages, in the user's language, with
the reason and a way back (Django's bare "403 Forbidden" told a merchant nothing)."""

from __future__ import annotations

from django.template.loader import render_to_string


def test_a_refused_page_says_why_and_leads_back_to_the_workbench(client_for, personas):
    response = client_for(personas.merchant).get("/staff/cases/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page
    assert "您的角色无权执行此操作。" in page  # the guard's own message
    assert 'href="/staff/"' in page


def test_a_refused_page_speaks_english_to_an_english_user(client_for, personas):
    client = client_for(personas.merchant)
    client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    page = client.get("/staff/cases/").content.decode()
    assert "Access denied" in page
    assert "Your role may not do this." in page


def test_a_missing_object_and_a_missing_page_look_the_same(client_for, personas):
    client = client_for(personas.officer_b)
    for path in ("/staff/cases/999999/", "/staff/no-such-page/"):
        response = client.get(path)
        assert response.status_code == 404
        page = response.content.decode()
        assert "页面不存在" in page and 'href="/staff/"' in page


def test_an_anonymous_visitor_of_a_missing_page_is_led_home(client):
    page = client.get("/no-such-page/").content.decode()
    assert "页面不存在" in page and 'href="/"' in page


def test_the_server_error_page_renders_without_a_request_in_both_languages():
    page = render_to_string("500.html")
    assert "服务暂时不可用" in page and "Something went wrong" in page
