"""GPU models, instance and machine types, and prices (dated, with sources): facts only, no cost model."""

from .catalog import (
    HOURS_PER_MONTH,
    VERTEX_ACCELERATORS,
    Accelerator,
    Catalog,
    CatalogError,
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
    "GpuModel",
    "MachineType",
    "Offering",
    "PriceSource",
    "Purchase",
    "ServicePrices",
    "load_catalog",
    "load_service_prices",
]
