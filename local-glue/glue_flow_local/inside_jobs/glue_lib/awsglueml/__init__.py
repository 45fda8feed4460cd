"""AWS Glue's machine-learning transforms package (``awsglueml``), as far as the local Glue has it."""
