"""feedpub: news articles in, RSS 2.0 / Atom 1.0 / JSON Feed 1.1 out.

What the Lambda functions run, and all they carry (template.yaml's CodeUri is functions/): a pure
core (``article``, ``sanitize``, ``feeds``, ``render``, ...) that never imports an AWS SDK, domain
services (``ingest``, ``publish``, ``backfill``, ...), and adapters for each AWS service (``aws``).
The command line and the local stack are the separate package ``feedpub_cli`` (cli/), which
imports this one and is never imported by it.
"""

__version__ = "0.1.0"
