"""ORM models, one module per aggregate; importing this package registers them all."""

from marketplace.models.audit import AuditEntry
from marketplace.models.base import TenantScoped
from marketplace.models.brand import Brand, BrandExclusion, BrandMember
from marketplace.models.campaign import Campaign
from marketplace.models.contract import Contract, Signature
from marketplace.models.delivery import Deliverable, DeliverableMetric, Review
from marketplace.models.dispute import Dispute, DisputeMessage
from marketplace.models.fraud import FraudFlag
from marketplace.models.influencer import InfluencerProfile, MetricSnapshot, RatePrice, SocialAccount
from marketplace.models.job import JobRecord
from marketplace.models.match import CampaignMatch
from marketplace.models.notification import Notification
from marketplace.models.offer import Offer
from marketplace.models.payment import (
    LedgerEntry,
    LedgerMovement,
    Payment,
    PayoutAccount,
    Refund,
    StripeCredentials,
    StripeEvent,
    Transfer,
)
from marketplace.models.tenant import Tenant
from marketplace.models.user import User

__all__ = [
    "AuditEntry",
    "Brand",
    "BrandExclusion",
    "BrandMember",
    "Campaign",
    "CampaignMatch",
    "Contract",
    "Deliverable",
    "DeliverableMetric",
    "Dispute",
    "DisputeMessage",
    "FraudFlag",
    "InfluencerProfile",
    "JobRecord",
    "LedgerEntry",
    "LedgerMovement",
    "MetricSnapshot",
    "Notification",
    "Offer",
    "Payment",
    "PayoutAccount",
    "RatePrice",
    "Refund",
    "Review",
    "Signature",
    "SocialAccount",
    "StripeCredentials",
    "StripeEvent",
    "Tenant",
    "TenantScoped",
    "Transfer",
    "User",
]
