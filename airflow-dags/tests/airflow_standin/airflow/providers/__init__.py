"""TEST DOUBLE package (see airflow_standin/README.md)."""
