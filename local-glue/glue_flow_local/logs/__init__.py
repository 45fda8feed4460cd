"""CloudWatch Logs: the lines crawls and job runs write, and reading them in pages."""
