"""mlplatform tooling: offline engine, plan, cost, policy check and CLI."""
