"""Models of the financing marketplace, one file per aggregate."""

from finbridge.financing.models.demands import Demand, DemandEvent, DemandResponse
from finbridge.financing.models.loans import Loan, LoanImportRun, LoanStatusReport
from finbridge.financing.models.matching import DemandMatch
from finbridge.financing.models.products import LprRate, Product

__all__ = [
    "Demand",
    "DemandEvent",
    "DemandMatch",
    "DemandResponse",
    "Loan",
    "LoanImportRun",
    "LoanStatusReport",
    "LprRate",
    "Product",
]
