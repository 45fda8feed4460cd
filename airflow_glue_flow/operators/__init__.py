"""Operators of airflow-glue-flow."""
