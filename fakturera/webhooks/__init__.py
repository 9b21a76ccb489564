"""Webhooks: endpoints, signed deliveries of domain events, retries with backoff, the sweep."""
