"""Python Lambda functions on the local Glue: each invoke runs the handler in its own process."""
