"""Permission codes of the accounts app."""

VIEW_ORGANIZATION = "accounts.view_organization"
MANAGE_MEMBERS = "accounts.manage_members"
MANAGE_ORGANIZATIONS = "accounts.manage_organizations"
