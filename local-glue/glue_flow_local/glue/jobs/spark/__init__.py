"""What a Spark (``glueetl``) run needs beyond a Python-shell run: its runtime checks and its preparation."""
