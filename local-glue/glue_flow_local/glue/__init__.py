"""The Glue API the local Glue serves: its requests and validation, definitions, job runs, crawls and workflows."""
