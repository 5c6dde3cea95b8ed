"""Campaigns: posts that carry a campaign's hashtags, keywords or seed articles, and their reach.

    from trustwatch.campaigns import load_campaign, load_campaign_report, write_campaign_report
    c = load_campaign("examples/campaigns/mua-sam-an-toan.yaml")
    data = load_campaign_report("./trustwatch.db", c)      # plain dict: daily, contributors, ...
    write_campaign_report(data, "campaign-report/", fmt="svg")
"""

from __future__ import annotations

from .report import campaign_charts, campaign_report, load_campaign_report, write_campaign_report
from .spec import (
    Campaign,
    CampaignError,
    CampaignSpec,
    find_campaign,
    load_campaign,
    load_campaigns,
)

__all__ = [
    "Campaign",
    "CampaignError",
    "CampaignSpec",
    "campaign_charts",
    "campaign_report",
    "find_campaign",
    "load_campaign",
    "load_campaign_report",
    "load_campaigns",
    "write_campaign_report",
]
