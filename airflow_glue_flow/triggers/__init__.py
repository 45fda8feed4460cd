"""Triggers of airflow-glue-flow."""
