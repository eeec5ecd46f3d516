"""A signed-in user changes their own password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nuanxin.accounts.services import user_password_change
from nuanxin.core.access import require_login
from nuanxin.core.http import client_ip


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(require_login(request.user), request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_password_change(
            user=form.user,
            new_password=form.cleaned_data["new_password1"],
            source_ip=client_ip(request),
        )
        update_session_auth_hash(request, user)  # this session stays signed in
        messages.success(request, _("密码已修改。"))
        return redirect("core:staff_home")
    return render(request, "accounts/password_change.html", {"form": form})
