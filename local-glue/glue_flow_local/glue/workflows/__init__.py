"""Glue workflows and triggers: kept as definitions; what would set them going is refused, naming the feature."""
