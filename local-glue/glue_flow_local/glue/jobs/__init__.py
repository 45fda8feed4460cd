"""Glue job runs: validation, the run state machine, the process side with its supervisor, job environments, arguments, bookmarks, and Spark."""
