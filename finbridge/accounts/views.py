"""Pages for signing in and out, the home page, passwords, API tokens, organisations and members."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView
from rest_framework.authtoken.models import Token

from finbridge.accounts import permissions as perms
from finbridge.accounts import selectors, services
from finbridge.accounts.choices import InvitationStatus, Role
from finbridge.accounts.forms import (
    InvitationAcceptForm,
    InvitationForm,
    LoginForm,
    MembershipRoleForm,
    OrganizationFilterForm,
    OrganizationForm,
    PasswordChangeForm,
    add_domain_error,
)
from finbridge.accounts.models import Organization
from finbridge.core.errors import DomainError, NotFound, PermissionDenied
from finbridge.core.pagination import CappedPaginator
from finbridge.core.permissions import has_perm

PAGE_SIZE = 25


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


class PermissionRequiredPageMixin(LoginRequiredMixin):
    """A page for signed-in people holding `perm_code` (when set).

    Anonymous visitors are sent to the sign-in page; a missing code answers 403. A NotFound raised by a
    selector or service answers 404, a PermissionDenied 403.
    """

    perm_code: str = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.perm_code and not has_perm(request.user, self.perm_code):
            raise DjangoPermissionDenied
        try:
            return super().dispatch(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except PermissionDenied:
            raise DjangoPermissionDenied from None


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(PermissionRequiredPageMixin, FormView):
    """Change one's own password under the password rules of the settings."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        try:
            services.user_password_change(
                actor=self.request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as error:
            if "new_password" in error.fields:
                error.fields["new_password1"] = error.fields.pop("new_password")
            add_domain_error(form, error)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password was changed. Your API token, if you had one, was revoked."))
        return super().form_valid(form)

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class HomeView(LoginRequiredMixin, TemplateView):
    """A home page per role: what this person's organisations need to see first."""

    template_name = "accounts/home.html"
    title = gettext_lazy("Home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from finbridge.accounts.dashboard import home_panels

        context = super().get_context_data(**kwargs)
        context["panels"] = home_panels(actor=self.request.user)
        return context


# --- API token -----------------------------------------------------------------------------------


class TokenView(PermissionRequiredPageMixin, TemplateView):
    """Create, rotate or revoke one's API token; a new token is shown once, in the answer to the POST."""

    template_name = "accounts/token.html"
    actions = {"create": services.api_token_rotate, "rotate": services.api_token_rotate}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["token"] = Token.objects.filter(user=self.request.user).first()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action")
        if action == "revoke":
            if services.api_token_revoke(actor=request.user):
                messages.success(request, _("Your API token was revoked."))
            return redirect("accounts:token")
        if action not in self.actions:
            messages.error(request, _("Unknown action."))
            return redirect("accounts:token")
        new_token = self.actions[action](actor=request.user)
        response = self.render_to_response(self.get_context_data(new_token=new_token.key))
        add_never_cache_headers(response)
        return response


# --- organisations -------------------------------------------------------------------------------


class OrganizationListView(PermissionRequiredPageMixin, TemplateView):
    """The organisations the person administers; district authority admins see all, filtered by type."""

    template_name = "accounts/organization_list.html"
    perm_code = perms.MANAGE_MEMBERS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        actor = self.request.user
        can_manage_all = has_perm(actor, perms.MANAGE_ORGANIZATIONS)
        filter_form = OrganizationFilterForm(self.request.GET or None)
        org_type = filter_form.cleaned_data["org_type"] if filter_form.is_valid() else ""
        organizations = selectors.organization_list_administered(actor=actor, org_type=org_type).annotate(
            member_count=Count("memberships")
        )
        page = CappedPaginator(organizations, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(filter_form=filter_form, page_obj=page, can_manage_all=can_manage_all)
        return context


class OrganizationCreateView(PermissionRequiredPageMixin, FormView):
    """The district authority creates an organisation, then invites its first administrator."""

    template_name = "accounts/organization_form.html"
    form_class = OrganizationForm
    perm_code = perms.MANAGE_ORGANIZATIONS

    def form_valid(self, form: OrganizationForm) -> HttpResponse:
        try:
            organization = services.organization_create(actor=self.request.user, data=form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(name)s was created. Invite its first administrator.") % {"name": organization.display_name},
        )
        return redirect("accounts:members", pk=organization.pk)

    def form_invalid(self, form: OrganizationForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- members and invitations ---------------------------------------------------------------------


class MembersView(PermissionRequiredPageMixin, View):
    """An organisation's members (change role, remove), open invitations (revoke) and the invite form.

    POST sends an invitation.
    """

    template_name = "accounts/members.html"
    perm_code = perms.MANAGE_MEMBERS

    def _organization(self) -> Organization:
        return selectors.organization_get_for_members(actor=self.request.user, pk=self.kwargs["pk"])

    def _render(self, organization: Organization, form: InvitationForm, status: int = 200) -> HttpResponse:
        actor = self.request.user
        memberships = selectors.membership_list(actor=actor, organization=organization)
        invitations = [
            i
            for i in selectors.invitation_list(actor=actor, organization=organization)
            if selectors.invitation_status(i) == InvitationStatus.OPEN
        ]
        context = {
            "organization": organization,
            "memberships": memberships,
            "invitations": invitations,
            "form": form,
            "roles": Role.choices,
            "can_manage_all": has_perm(actor, perms.MANAGE_ORGANIZATIONS),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._render(self._organization(), InvitationForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = self._organization()
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    actor=request.user,
                    organization=organization,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    site_url=request.build_absolute_uri("/"),
                )
            except (NotFound, PermissionDenied):
                raise
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
                return redirect("accounts:members", pk=organization.pk)
        return self._render(organization, form, status=400)


class _MemberActionView(PermissionRequiredPageMixin, View):
    """A POST-only action on one organisation's members; answers with a redirect to the members page."""

    perm_code = perms.MANAGE_MEMBERS
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = selectors.organization_get_for_members(actor=request.user, pk=kwargs["pk"])
        try:
            message = self.act(organization)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, message)
        return HttpResponseRedirect(reverse("accounts:members", kwargs={"pk": organization.pk}))

    def act(self, organization: Organization) -> str:
        raise NotImplementedError


class MembershipRoleView(_MemberActionView):
    def act(self, organization: Organization) -> str:
        membership = selectors.membership_get(actor=self.request.user, organization=organization, pk=self.kwargs["mid"])
        form = MembershipRoleForm(self.request.POST)
        role = form.cleaned_data["role"] if form.is_valid() else self.request.POST.get("role", "")
        membership = services.membership_change_role(actor=self.request.user, membership=membership, role=role)
        return _("%(user)s is now %(role)s.") % {"user": membership.user, "role": membership.get_role_display()}


class MembershipRemoveView(_MemberActionView):
    def act(self, organization: Organization) -> str:
        membership = selectors.membership_get(actor=self.request.user, organization=organization, pk=self.kwargs["mid"])
        services.membership_remove(actor=self.request.user, membership=membership)
        return _("%(user)s was removed from the organisation.") % {"user": membership.user}


class InvitationRevokeView(_MemberActionView):
    def act(self, organization: Organization) -> str:
        invitation = selectors.invitation_get(actor=self.request.user, organization=organization, pk=self.kwargs["iid"])
        services.invitation_revoke(actor=self.request.user, invitation=invitation)
        return _("The invitation to %(email)s was revoked.") % {"email": invitation.email}


class InvitationAcceptView(View):
    """Accept an invitation: a new person signs up, or a signed-in person joins with their account.

    Unknown links answer 404; used, revoked and expired ones 410, each with a page that says why.
    """

    template_name = "accounts/invitation_accept.html"

    def _closed(self, message: str, status: int) -> HttpResponse:
        return render(self.request, "accounts/invitation_closed.html", {"message": message}, status=status)

    def _open_invitation(self, token: str) -> Any:
        try:
            invitation = selectors.invitation_get_by_token(token=token)
        except NotFound:
            return self._closed(_("This invitation link is not valid."), 404)
        status = selectors.invitation_status(invitation)
        if status != InvitationStatus.OPEN:
            return self._closed(str(services.INVITATION_CLOSED[status][1]), 410)
        return invitation

    def _render(self, invitation: Any, form: InvitationAcceptForm | None, status: int = 200) -> HttpResponse:
        context = {"invitation": invitation, "form": form}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._open_invitation(token)
        if isinstance(invitation, HttpResponse):
            return invitation
        form = None if request.user.is_authenticated else InvitationAcceptForm()
        return self._render(invitation, form)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = self._open_invitation(token)
        if isinstance(invitation, HttpResponse):
            return invitation
        if request.user.is_authenticated:
            return self._accept(invitation, None, {})
        form = InvitationAcceptForm(request.POST)
        if not form.is_valid():
            return self._render(invitation, form, status=400)
        data = form.cleaned_data
        fields = {"username": data["username"], "password": data["password1"], "display_name": data["display_name"]}
        return self._accept(invitation, form, fields)

    def _accept(self, invitation: Any, form: InvitationAcceptForm | None, fields: dict[str, str]) -> HttpResponse:
        try:
            membership = services.invitation_accept(actor=self.request.user, token=invitation.token, **fields)
        except (NotFound, PermissionDenied):
            raise Http404 from None
        except DomainError as error:
            if form is None or not error.fields:
                return self._closed(error.message, error.status_code)
            form.add_domain_error(error)
            return self._render(invitation, form, status=400)
        if not self.request.user.is_authenticated:
            login(self.request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            self.request,
            _("Welcome to %(organization)s.") % {"organization": membership.organization.display_name},
        )
        return redirect("home")
