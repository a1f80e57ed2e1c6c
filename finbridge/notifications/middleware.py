"""Remember the language a person uses, so that e-mails reach them in it (User.language)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse


class UserLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: when a signed-in person's page request is in a
    language other than the one stored on them, store it (one UPDATE, only on change). API calls are left
    out: a bank's system sending its own Accept-Language must not change the person's e-mail language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        self._remember(request)
        return response

    def _remember(self, request: HttpRequest) -> None:
        user: Any = getattr(request, "user", None)
        if not (user and user.is_authenticated) or request.path.startswith("/api/"):
            return
        language = getattr(request, "LANGUAGE_CODE", "")
        # The language switch answers with a redirect; the next page request carries the new language.
        if language in self.languages and user.language != language:
            get_user_model().objects.filter(pk=user.pk).update(language=language)
            user.language = language
