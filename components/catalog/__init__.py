"""GPU models, instance and machine types, prices (dated, with sources) and, later, the cost model."""

from .catalog import (
    HOURS_PER_MONTH,
    VERTEX_ACCELERATORS,
    Accelerator,
    Catalog,
    CatalogError,
    Cloud,
    GpuModel,
    MachineType,
    Offering,
    PriceSource,
    Purchase,
    ServicePrices,
    load_catalog,
    load_service_prices,
)

__all__ = [
    "HOURS_PER_MONTH",
    "VERTEX_ACCELERATORS",
    "Accelerator",
    "Catalog",
    "CatalogError",
    "Cloud",
    "GpuModel",
    "MachineType",
    "Offering",
    "PriceSource",
    "Purchase",
    "ServicePrices",
    "load_catalog",
    "load_service_prices",
]
