"""The ``monitoring`` and ``budget`` sections: alerts, cluster observability and the monthly budget."""

from __future__ import annotations

from pydantic import Field, model_validator

from ..base.errors import Problems
from ..base.values import Email, HttpsUrl, StrictModel


class MonitoringSpec(StrictModel):
    alert_emails: list[Email] = []
    """Email addresses subscribed to the alert topic and budget notifications. Default: none."""
    alert_https_endpoints: list[HttpsUrl] = []
    """HTTPS endpoints (e.g. a chat webhook relay) subscribed to the alert topic. Default: none."""
    prometheus: bool = True
    """Run Prometheus and the DCGM exporter on the cluster. Default: true."""
    prometheus_retention_days: int | None = Field(default=None, ge=1, le=90)
    """Metric retention. Default: 15 in prod, else 3."""
    container_insights: bool | None = None
    """CloudWatch Container Insights (GPU and node metrics in CloudWatch, billed per observation).
    Default: true in prod, else false."""
    endpoint_latency_p99_ms: int = Field(default=1000, ge=1)
    """Alarm threshold for endpoint model latency p99, in milliseconds. Default: 1000."""


class BudgetSpec(StrictModel):
    monthly_limit_usd: float = Field(gt=0)
    """Monthly budget for the stack in USD. Required."""
    actual_thresholds_percent: list[int] = [80, 100]
    """Notify when actual spend crosses these percentages. Default: 80, 100."""
    forecast_thresholds_percent: list[int] = [100]
    """Notify when forecast spend crosses these percentages. Default: 100."""
    anomaly_threshold_usd: float = Field(default=50, gt=0)
    """Cost anomaly impact that triggers a notification. Default: 50."""

    @model_validator(mode="after")
    def _check(self) -> BudgetSpec:
        p = Problems()
        for name in ("actual_thresholds_percent", "forecast_thresholds_percent"):
            values = getattr(self, name)
            bad = [v for v in values if not 1 <= v <= 1000]
            if bad:
                p.add(name, "percentages must be between 1 and 1000", bad)
        p.raise_if_any()
        return self
