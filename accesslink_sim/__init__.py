"""A local stand-in for Polar AccessLink: OAuth2, users, webhooks, data, rate limits, faults."""
