"""S3 as the local Glue extends moto's: conditional requests, event notifications and their checks, the bucket mirror Spark runs read, and s3:// URIs."""
