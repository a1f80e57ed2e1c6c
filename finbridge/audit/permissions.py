"""Permission codes of the audit app."""

VIEW_AUDIT = "audit.view_audit"
