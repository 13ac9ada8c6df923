"""The clouds the platform targets: the one enum every layer (config, catalog, cost, components, policies) shares."""

from __future__ import annotations

from enum import StrEnum


class Cloud(StrEnum):
    AWS = "aws"
    GCP = "gcp"
