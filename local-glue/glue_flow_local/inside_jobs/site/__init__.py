"""Started with every local Glue job run (``sitecustomize``); the folder goes on a job's path only."""
