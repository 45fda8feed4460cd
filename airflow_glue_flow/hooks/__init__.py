"""Hooks of airflow-glue-flow."""
