"""Portfolio: register, ranking, scoring and the cut-off scenario."""
