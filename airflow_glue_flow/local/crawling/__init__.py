"""Crawls in the local Glue, one module per step.

- ``scan``: list the objects under a crawler's S3 targets and group them into table plans.
- ``csv_json``: Glue's built-in CSV and JSON classifiers.
- ``catalog``: write the planned tables and partitions to the Data Catalog.
- ``runs``: crawler state (READY/RUNNING/STOPPING, LastCrawl, metrics) and the crawl thread.
"""
