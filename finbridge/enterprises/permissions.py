"""Permission codes of the enterprises app."""

VIEW_ENTERPRISE = "enterprises.view_enterprise"
VIEW_HISTORY = "enterprises.view_history"
ADD_ENTERPRISE = "enterprises.add_enterprise"
CHANGE_ENTERPRISE = "enterprises.change_enterprise"
VERIFY_ENTERPRISE = "enterprises.verify_enterprise"
IMPORT_ENTERPRISES = "enterprises.import_enterprises"
MANAGE_CONSENT = "enterprises.manage_consent"
