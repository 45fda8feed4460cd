"""Fakes, fixtures and helpers shared by the provider's tests."""
