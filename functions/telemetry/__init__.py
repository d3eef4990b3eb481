"""Telemetry: error tracking (Sentry) and product analytics (PostHog, Google Analytics 4)."""
