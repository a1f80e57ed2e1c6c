"""Writes of the MSME registry: enterprises.py (records, yearly figures, contacts) and consents.py.

Every service is keyword-only, takes the acting user, checks permission and visibility itself, runs in
one transaction, records the change in the audit trail (and in the record's history) and raises a
DomainError (ValidationFailed, NotFound, PermissionDenied, Conflict) with nothing changed on bad input.
"""
