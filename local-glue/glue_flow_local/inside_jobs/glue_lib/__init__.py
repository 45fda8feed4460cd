"""The job-side library of the local Glue: what a Glue job imports (``awsglue``).

The folder holding this file goes on a job run's ``sys.path`` only (see
:mod:`glue_flow_local.glue.jobs.env`); the server never imports ``awsglue``, and it is never
installed as a top-level package, where it would shadow AWS's own library for users who have it.
Its modules import each other relatively, so they work under either name and type-check with the package.
"""
