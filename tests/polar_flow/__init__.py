"""Tests for the Polar Flow integration."""
