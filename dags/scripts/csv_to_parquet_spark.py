"""Glue Spark (glueetl) job: the seed's se2_job0 script, with its table and output as job arguments.

Reads the crawled table from the Data Catalog, applies the seed's ApplyMapping, ResolveChoice
(make_struct) and DropNullFields, and adds the rows to ``--OUTPUT_PATH`` as Parquet. Runs unchanged on
AWS Glue 4.0/5.0 and in the local Glue. Arguments: ``--DATABASE``, ``--TABLE_NAME``, ``--OUTPUT_PATH``;
optional ``--INPUT_PATH`` with ``--INPUT_KEYS`` (a JSON list of keys under it): read only those CSV
objects (e.g. the ones S3 event notifications reported) instead of the whole table.
"""

import json
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, DropNullFields, ResolveChoice
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "DATABASE", "TABLE_NAME", "OUTPUT_PATH"])

sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

if "--INPUT_KEYS" in sys.argv:
    named = getResolvedOptions(sys.argv, ["INPUT_PATH", "INPUT_KEYS"])
    bucket, _, prefix = named["INPUT_PATH"].partition("s3://")[2].partition("/")
    keys = list(dict.fromkeys(json.loads(named["INPUT_KEYS"])))
    outside = [key for key in keys if not key.startswith(prefix) or key.endswith("/")]
    if not keys or outside or not named["INPUT_PATH"].startswith("s3://"):
        raise ValueError(f"INPUT_KEYS must name objects under {named['INPUT_PATH']}: {keys}")
    print(f"Reading {len(keys)} object(s) under {named['INPUT_PATH']}")
    datasource0 = glueContext.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [f"s3://{bucket}/{key}" for key in keys]},
        format="csv",
        format_options={"withHeader": True},
        transformation_ctx="datasource0",
    )
else:
    datasource0 = glueContext.create_dynamic_frame.from_catalog(
        database=args["DATABASE"], table_name=args["TABLE_NAME"], transformation_ctx="datasource0"
    )
applymapping1 = ApplyMapping.apply(
    frame=datasource0,
    mappings=[
        ("deviceid", "string", "deviceid", "string"),
        ("uuid", "long", "uuid", "long"),
        ("appid", "long", "appid", "long"),
        ("country", "string", "country", "string"),
        ("year", "long", "year", "long"),
        ("month", "long", "month", "long"),
        ("day", "long", "day", "long"),
        ("hour", "long", "hour", "long"),
    ],
    transformation_ctx="applymapping1",
)
resolvechoice2 = ResolveChoice.apply(
    frame=applymapping1, choice="make_struct", transformation_ctx="resolvechoice2"
)
dropnullfields3 = DropNullFields.apply(frame=resolvechoice2, transformation_ctx="dropnullfields3")
print(f"Writing {dropnullfields3.count()} rows to {args['OUTPUT_PATH']}")
glueContext.write_dynamic_frame.from_options(
    frame=dropnullfields3,
    connection_type="s3",
    connection_options={"path": args["OUTPUT_PATH"]},
    format="parquet",
    transformation_ctx="datasink4",
)
job.commit()
