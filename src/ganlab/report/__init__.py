"""The report: claims checked against metrics, tables, figures, HTML and Markdown."""
