"""Results -> tables (Markdown, CSV, LaTeX), report.md and plots (PNG + PDF)."""
