"""Crawls in the local Glue, one module per step.

- ``scan``: list the objects under a crawler's S3 targets and group them into table plans.
- ``csv_json``: Glue's built-in CSV and JSON classifiers.
- ``catalog``: write the planned tables and partitions to the Data Catalog.
- ``classifiers``: Glue's classifier order; ``columnar``: Avro, ORC and Parquet; ``custom``: the
  CreateClassifier actions.
- ``formats``: table parameters, formats and SerDe per classification.
- ``configuration``: the crawler's Configuration JSON options.
- ``validation``: CreateCrawler / UpdateCrawler checks moto does not make.
- ``runs``: crawler state (READY/RUNNING/STOPPING, LastCrawl, metrics) and the crawl thread.
"""
