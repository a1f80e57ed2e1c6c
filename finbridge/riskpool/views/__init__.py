"""Pages of the risk-sharing pool, one module per area (pools, members and rules, enrolments, claims, ledger
and stress test). Views parse input, call a selector or service and render; NotFound answers 404,
PermissionDenied 403, and ValidationFailed / Conflict come back as messages on the form (status 400 / 409)."""
