"""Apache Airflow provider that orchestrates AWS Glue crawlers and jobs."""

__version__ = "0.1.0"
