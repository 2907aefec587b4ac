"""Settings cfsettings can know from the platform itself: only on Cloud Foundry (see detect)."""
