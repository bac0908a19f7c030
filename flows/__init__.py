"""Prefect flows: thin orchestration around pipeline/ functions."""
