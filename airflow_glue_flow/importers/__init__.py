"""Importers: translate existing flows (Glue workflows) into Airflow DAG files.

Pure translation: no Airflow import at module level and no AWS call; the input is the JSON the AWS CLI
prints (``aws glue get-workflow --include-graph``) and the output is the text of a DAG file plus a report.
"""

from __future__ import annotations

from airflow_glue_flow.importers.aws_cron import AwsCronError, aws_cron_to_cron
from airflow_glue_flow.importers.glue_workflow import ImportError_
from airflow_glue_flow.importers.workflow import WorkflowImport, import_workflow

__all__ = ["AwsCronError", "ImportError_", "WorkflowImport", "aws_cron_to_cron", "import_workflow"]
