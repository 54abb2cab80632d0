"""Runnable integrations of scimcore with real applications' data models."""
