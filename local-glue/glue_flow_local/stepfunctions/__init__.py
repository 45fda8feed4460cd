"""Step Functions on the local Glue: state machines, executions and their history, run by its own interpreter."""
