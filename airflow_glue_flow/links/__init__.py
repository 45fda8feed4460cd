"""Links of airflow-glue-flow."""
