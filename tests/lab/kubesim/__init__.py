"""Simulated Kubernetes API servers of the lab (test infrastructure only)."""
