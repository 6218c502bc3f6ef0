"""Tests that drive the web chat in a real browser."""
