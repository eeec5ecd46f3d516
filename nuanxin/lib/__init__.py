"""Helpers that need no Django: pure functions shared by several apps."""
