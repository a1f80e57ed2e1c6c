"""Helpers shared by the page tests."""

from __future__ import annotations


def form_post_data(form, **changes) -> dict:
    """POST data that resubmits a form's starting values (ticked boxes only), with some values changed."""
    data = {}
    for name, bound in form.fields.items():
        value = form.initial.get(name, bound.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
