"""AWS Glue's job library, as the local Glue gives it to job runs.

Python-shell jobs use :mod:`awsglue.utils`. Nothing here may import Spark at import time: a
Python-shell job has no Spark, and ``import awsglue.utils`` must work there.
"""
