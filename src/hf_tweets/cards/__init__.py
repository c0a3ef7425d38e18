"""The model card: records, their YAML, templates, rendering, import, checks, previews and thumbnails."""
