"""The read-only HTML console the extra links of Airflow tasks open, under ``/_console/``."""
