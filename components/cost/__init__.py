"""The cost model: what a Plan's resources cost per month, idle, expected and at peak, from the catalog's prices."""
