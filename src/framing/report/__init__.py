"""Reports rendered from metrics: content, figures, Markdown and HTML."""
