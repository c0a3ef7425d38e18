"""Where posts come from: the post store, and one module per source."""
