"""Sensors of airflow-glue-flow."""
