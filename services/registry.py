"""Every event type of every service in the one registry: a worker decodes what other services
recorded (intake projections read identity events, indicators read intake events, ...), so each
process registers them all by importing this module."""

from services.identity import events as _identity_events  # noqa: F401  (registers its types)
from services.indicators import assessment_events as _indicators_assessment_events  # noqa: F401
from services.indicators import cycle_events as _indicators_cycle_events  # noqa: F401
from services.indicators import events as _indicators_events  # noqa: F401
from services.intake import events as _intake_events  # noqa: F401
from services.intake import linkage as _intake_linkage  # noqa: F401
from services.intake import submissions as _intake_submissions  # noqa: F401
from services.reporting import events as _reporting_events  # noqa: F401
from shared.backbone.registry import REGISTRY

__all__ = ["REGISTRY"]
