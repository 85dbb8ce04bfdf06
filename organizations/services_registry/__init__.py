"""Writes of the third-party assessor registry: filing (备案) with a province and its decision, the yearly work
report against a call's deadline, and the blacklist.

Each service runs in a transaction, checks permission and state, writes the audit event and notifies after commit.
A change that the eligibility rules read (approval, revocation, reports, blacklist) calls the registered
ASSESSOR_FACT_HOOKS after commit with the assessor's id, so its open applications are evaluated again.

Sources: 002_3e46b5da0b2a2c6e.txt §三 (basic conditions, blacklist three years), 001_df05fc8070bc22d3.txt §三 (annual
work report), 003_32b3e8f77524ff49.txt §（二） (report by 4/30, "十个严禁"), 004_30892f5977438438.txt §四 (备案).

Split by meaning: filings.py, reports.py, blacklist.py; common.py holds the shared checks and constants.
"""

from ..registry_models import TEN_PROHIBITIONS
from .blacklist import blacklist_add, blacklist_lift
from .common import (
    ASSESSOR_FACT_HOOKS,
    BLACKLIST_YEARS,
    PROOF_MAX_BYTES,
    PROOF_TYPES,
    REPORT_MAX_BYTES,
    REPORT_TYPES,
    assessor_facts_changed,
    end_of_day,
)
from .filings import clean_filing_data, filing_decide, filing_proof_add, filing_revoke, filing_submit
from .reports import annual_call_open, annual_report_review, annual_report_submit, clean_report_data, may_report

__all__ = [
    "ASSESSOR_FACT_HOOKS",
    "BLACKLIST_YEARS",
    "PROOF_MAX_BYTES",
    "PROOF_TYPES",
    "REPORT_MAX_BYTES",
    "REPORT_TYPES",
    "TEN_PROHIBITIONS",
    "annual_call_open",
    "annual_report_review",
    "annual_report_submit",
    "assessor_facts_changed",
    "blacklist_add",
    "blacklist_lift",
    "clean_filing_data",
    "clean_report_data",
    "end_of_day",
    "filing_decide",
    "filing_proof_add",
    "filing_revoke",
    "filing_submit",
    "may_report",
]
