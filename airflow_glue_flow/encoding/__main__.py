"""``python -m airflow_glue_flow.encoding --BUCKET_NAME ...``: run the conversion job locally."""

import sys

from airflow_glue_flow.encoding.job import main

sys.exit(main())
