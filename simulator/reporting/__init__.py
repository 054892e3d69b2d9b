"""The committee report: figures, fonts, content, PDF and HTML."""
