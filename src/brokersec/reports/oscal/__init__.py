"""brokersec's records in NIST OSCAL (JSON): the regulation as a catalog, a firm's scope as a
profile, an inspection as assessment-results, open findings as a POA&M. See docs/oscal.md."""

from brokersec.reports.oscal.assessment_results import assessment_results_document, objective_status
from brokersec.reports.oscal.catalog import catalog_document
from brokersec.reports.oscal.common import NS, OSCAL_VERSION, stable_uuid, to_json
from brokersec.reports.oscal.poam import poam_document
from brokersec.reports.oscal.profile import default_catalog_href, profile_document

__all__ = [
    "NS",
    "OSCAL_VERSION",
    "assessment_results_document",
    "catalog_document",
    "default_catalog_href",
    "objective_status",
    "poam_document",
    "profile_document",
    "stable_uuid",
    "to_json",
]
