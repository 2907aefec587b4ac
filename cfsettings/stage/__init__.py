"""Staging: migrate every database once, under a lock the database holds."""
