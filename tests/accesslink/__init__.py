"""Tests of the Polar AccessLink client package."""
