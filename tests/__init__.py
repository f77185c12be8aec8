"""Tests for the Polar Flow integration, its AccessLink client and the simulator."""
