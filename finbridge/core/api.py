"""API plumbing shared by every app: the error format, the permission class, schema helpers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from finbridge.core.errors import DomainError, from_django_validation_error
from finbridge.core.permissions import has_perm

_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "validation_failed",
}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item)]
    return [str(detail)]


def _fields_from(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(name): _flatten(value) for name, value in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": _flatten(detail)}
    return {}


def _error_response(code: str, message: str, fields: dict[str, list[str]], status: int, headers=None) -> Response:
    return Response({"code": code, "message": message, "fields": fields}, status=status, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error as {"code", "message", "fields"} with a 4xx status."""
    if isinstance(exc, DomainError):
        return _error_response(exc.code, exc.message, exc.fields, exc.status_code)
    if isinstance(exc, DjangoValidationError):
        err = from_django_validation_error(exc)
        return _error_response(err.code, err.message, err.fields, err.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)), "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields_from(exc.detail)
        message = _("Some fields are not valid.")
    else:
        fields = {}
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else _flatten(exc.detail)[0]
    return _error_response(code, message, fields, response.status_code, headers=dict(response.items()))


class HasPermCode(permissions.BasePermission):
    """Allow a view action when the user holds the code named in the view's `perm_codes[action]`.

    Views declare `perm_codes = {"list": "enterprises.view_enterprise", "create": ...}`; an action
    missing from the map is refused. Object-level rules run through has_perm(obj=...).
    """

    def _code(self, view: Any) -> str | None:
        action = getattr(view, "action", None) or (view.request.method.lower() if view.request else None)
        return getattr(view, "perm_codes", {}).get(action)

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        code = self._code(view)
        return code is not None and has_perm(request.user, code)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        code = self._code(view)
        return code is not None and has_perm(request.user, code, obj)


class ErrorSerializer(serializers.Serializer):
    """The shape of every API error (for the OpenAPI schema)."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
