"""AI writing: the model catalogue and providers, prompts, per-network fitting, metering, history."""
