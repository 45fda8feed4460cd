"""SQS as the local Glue uses it: the queue policies that decide whether S3 may send a notification."""
