"""Views of a plan: text (terminal) today; Markdown and JSON read the same `Plan` data."""
