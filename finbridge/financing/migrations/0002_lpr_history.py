"""Data: the Loan Prime Rate history since the LPR reform (2019-08-20) up to 2025-05-20.

One row per publication that changed a rate (the monthly publications that left a rate unchanged add
nothing to the in-force lookup). Source: the National Interbank Funding Center's monthly LPR announcements
(中国人民银行授权全国银行间同业拆借中心公布贷款市场报价利率). Rates are fractions (0.0425 = 4.25%).

Reversible: going back deletes exactly these rows (and only when they still carry these rates, so that a
correction entered by the authority is not lost silently).
"""

import datetime
from decimal import Decimal

from django.db import migrations

ONE_YEAR = (
    ("2019-08-20", "0.0425"),
    ("2019-09-20", "0.0420"),
    ("2019-11-20", "0.0415"),
    ("2020-02-20", "0.0405"),
    ("2020-04-20", "0.0385"),
    ("2021-12-20", "0.0380"),
    ("2022-01-20", "0.0370"),
    ("2022-08-22", "0.0365"),
    ("2023-06-20", "0.0355"),
    ("2023-08-21", "0.0345"),
    ("2024-07-22", "0.0335"),
    ("2024-10-21", "0.0310"),
    ("2025-05-20", "0.0300"),
)
FIVE_YEAR = (
    ("2019-08-20", "0.0485"),
    ("2019-11-20", "0.0480"),
    ("2020-02-20", "0.0475"),
    ("2020-04-20", "0.0465"),
    ("2022-01-20", "0.0460"),
    ("2022-05-20", "0.0445"),
    ("2022-08-22", "0.0430"),
    ("2023-06-20", "0.0420"),
    ("2024-02-20", "0.0395"),
    ("2024-07-22", "0.0385"),
    ("2024-10-21", "0.0360"),
    ("2025-05-20", "0.0350"),
)
HISTORY = tuple(("1y", day, rate) for day, rate in ONE_YEAR) + tuple(("5y", day, rate) for day, rate in FIVE_YEAR)


def _rows():
    for term, day, rate in HISTORY:
        yield term, datetime.date.fromisoformat(day), Decimal(rate)


def load_history(apps, schema_editor):
    LprRate = apps.get_model("financing", "LprRate")
    for term, effective_on, rate in _rows():
        LprRate.objects.get_or_create(term=term, effective_on=effective_on, defaults={"rate": rate})


def unload_history(apps, schema_editor):
    LprRate = apps.get_model("financing", "LprRate")
    for term, effective_on, rate in _rows():
        LprRate.objects.filter(term=term, effective_on=effective_on, rate=rate).delete()


class Migration(migrations.Migration):
    dependencies = [("financing", "0001_initial")]

    operations = [migrations.RunPython(load_history, unload_history)]
