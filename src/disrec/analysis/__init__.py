"""The gather stage: one table of all runs, summaries, correlations, the reference comparison, figures."""
