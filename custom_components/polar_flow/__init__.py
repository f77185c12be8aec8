"""Polar Flow: Polar AccessLink training data in Home Assistant."""
