"""The wire layer every service shares: request signing (SigV4, SigV2) and authentication, AWS's JSON protocol, error bodies, paging."""
