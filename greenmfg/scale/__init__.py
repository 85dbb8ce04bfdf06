"""A national-scale data set for benchmarks and scale tests, built fast with bulk_create (``manage.py seed_scale``).

It writes rows directly (no audit events, no notifications), but every row is one the portal could have made:
real GB/T 2260 regions, valid 统一社会信用代码 (organizations.credit_code.make_credit_code), the authority tree
ministry → every mainland province → most cities → many counties, three departments per province and city
authority, a Django Group per organization with its view grant (as organization_create gives), one user per
authority and assessor (``scale-ministry``, ``scale-<region code>``, ``scale-assessor-NN``, password as load_demo's)
in its organization's group; enterprises and parks under counties and cities; ~60 assessors filed with their
province, some sharing a legal representative, most carrying 12–16 projects (the usual cap is 15); the year's
published notice chain (ministry → every province → some cities) with categories, materials, quotas and deadlines;
applications over all four categories and every state the workflow knows, with category data (some parks at or
under 50 % value added, some factories short of the energy benchmark), the 9 negative-list declarations, referrals
up the chain (some recommended level by level up to their province) and guardian grants following the flow
(applicant, each authority reached, the commissioned assessor); credit records for a few percent of applicants and
assessor blacklist / annual-report records; an expert pool per province (``scale-expert-<province>-NN``) and a
panel per province and category holding applications, with a scoring form, assignments and scores as the expert
review services make them. Material files are not seeded.

Modules by meaning: organizations, notices, applications, records, reviews; builder runs the steps; common holds
what they share. The command (greenmfg/management/commands/seed_scale.py) is thin.
"""

from .builder import Builder, clear_year
from .common import MARK, database_problem

__all__ = ["MARK", "Builder", "clear_year", "database_problem"]
