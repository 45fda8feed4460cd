"""Code that runs inside job runs, never in the server: the job-side ``awsglue`` library and the job ``sitecustomize``. These folders go onto a job's path only."""
