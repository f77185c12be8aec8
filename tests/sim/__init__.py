"""Tests of the local Polar AccessLink simulator (accesslink_sim)."""
