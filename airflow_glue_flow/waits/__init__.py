"""Each wait as a pure decision step (crawl, job run), and the two drivers that run them: sync and async."""
