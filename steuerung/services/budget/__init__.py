"""Budget: lines and amounts, coverage, exports and imports."""
