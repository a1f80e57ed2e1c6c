"""Pages for signing in and out, the home page, passwords, API tokens and members."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from finbridge.accounts.forms import LoginForm


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """What django-axes answers once a username and address are locked out (page or API)."""
    message = _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {"minutes": _cooloff_minutes()}
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"code": "locked_out", "message": message, "fields": {}}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)


def _cooloff_minutes() -> int:
    from django.conf import settings

    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)


class HomeView(LoginRequiredMixin, TemplateView):
    """A home page per role: what this person's organisations need to see first."""

    template_name = "accounts/home.html"
    title = gettext_lazy("Home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from finbridge.accounts.dashboard import home_panels

        context = super().get_context_data(**kwargs)
        context["panels"] = home_panels(actor=self.request.user)
        return context
