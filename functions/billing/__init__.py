"""Billing: one Stripe customer per person, the plan from Stripe's state, plan limits applied."""
