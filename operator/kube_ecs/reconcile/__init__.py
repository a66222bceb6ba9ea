"""Reconcilers: plain typed functions the Kopf handlers call (apply children, compute status)."""
