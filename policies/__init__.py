"""Cost-guardrail policy pack."""
