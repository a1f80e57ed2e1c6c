"""Models of supply-chain finance, one module per aggregate (chain.py: the core enterprises' chain databases)."""

from finbridge.supplychain.models.chain import (
    ChainImportRun,
    ChainPartner,
    FinancingRecommendation,
    RecommendationRecipient,
    SummaryShare,
    TransactionSummary,
)
from finbridge.supplychain.models.financing import (
    FinancingOffer,
    FinancingRequest,
    FinancingRequestItem,
    Registration,
)
from finbridge.supplychain.models.overview import OverviewMonth, OverviewMonthState
from finbridge.supplychain.models.receivables import (
    Receivable,
    ReceivableConfirmation,
    ReceivableDocument,
    ReceivableUploadRun,
)
from finbridge.supplychain.models.settlement import Payment
from finbridge.supplychain.models.vouchers import Voucher

__all__ = [
    "ChainImportRun",
    "ChainPartner",
    "FinancingRecommendation",
    "RecommendationRecipient",
    "SummaryShare",
    "TransactionSummary",
    "FinancingOffer",
    "FinancingRequest",
    "FinancingRequestItem",
    "OverviewMonth",
    "OverviewMonthState",
    "Payment",
    "Receivable",
    "ReceivableConfirmation",
    "ReceivableDocument",
    "ReceivableUploadRun",
    "Registration",
    "Voucher",
]
