"""A signed-in user changes their own password: checked, audited, still signed in."""

from __future__ import annotations

from nuanxin.audit.models import AuditEvent

URL = "/accounts/password/"
NEW = "Nuanxin-new-pass-2026"


def test_an_officer_changes_their_password_and_stays_signed_in(client_for, personas):
    client = client_for(personas.officer_a)
    response = client.post(
        URL,
        {"old_password": personas.PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302 and response["Location"] == "/staff/"
    personas.officer_a.refresh_from_db()
    assert personas.officer_a.check_password(NEW)
    assert client.get("/staff/").status_code == 200  # the session survived the change
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.actor_id == personas.officer_a.pk
    assert NEW not in str(event.after) and personas.PASSWORD not in str(event.after)


def test_a_wrong_old_password_changes_nothing_and_says_why(client_for, personas):
    client = client_for(personas.officer_a)
    response = client.post(
        URL, {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 200
    assert "旧密码不正确" in response.content.decode()
    personas.officer_a.refresh_from_db()
    assert personas.officer_a.check_password(personas.PASSWORD)
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


def test_a_weak_new_password_is_refused(client_for, personas):
    response = client_for(personas.officer_a).post(
        URL,
        {
            "old_password": personas.PASSWORD,
            "new_password1": "12345678",
            "new_password2": "12345678",
        },
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode() or 'class="error"' in response.content.decode()
    personas.officer_a.refresh_from_db()
    assert personas.officer_a.check_password(personas.PASSWORD)


def test_the_page_needs_a_login_and_every_page_links_it(client, client_for, personas):
    assert client.get(URL).status_code == 302
    assert f'href="{URL}"' in client_for(personas.merchant).get("/staff/").content.decode()
