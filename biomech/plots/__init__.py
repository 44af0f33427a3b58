"""Figures. Plotting reads saved results (or a Motion) and never simulates."""
