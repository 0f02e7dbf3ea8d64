"""Accuracy metrics of rankings and representation metrics of user codes (SPEC sections 5-6)."""
