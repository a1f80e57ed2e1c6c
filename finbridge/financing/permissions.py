"""Permission codes of the financing app (granted by accounts/roles.py)."""

VIEW_PRODUCT = "financing.view_product"  # everyone signed in: published products
MANAGE_PRODUCT = "financing.manage_product"  # banks and guarantors: their own products
MANAGE_LPR = "financing.manage_lpr"  # district authority: the dated LPR table
VIEW_DEMAND = "financing.view_demand"
POST_DEMAND = "financing.post_demand"  # an MSME for itself
RECORD_DEMAND_ON_BEHALF = "financing.record_demand_on_behalf"  # government staff for a firm
RESPOND_DEMAND = "financing.respond_demand"  # institutions: take up or pass
REVIEW_DEMAND = "financing.review_demand"  # institutions: review, approve, decline, disburse
VIEW_LOAN = "financing.view_loan"
RECORD_LOAN = "financing.record_loan"  # banks: record, import, report monthly status
VIEW_LEAGUE_TABLE = "financing.view_league_table"
VIEW_OVERSIGHT = "financing.view_oversight"  # district authority: overdue and escalated demands
