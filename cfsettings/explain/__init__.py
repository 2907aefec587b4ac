"""Explain what cfsettings decided and why, every secret masked."""
