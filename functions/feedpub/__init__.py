"""feedpub: news articles in, RSS 2.0 / Atom 1.0 / JSON Feed 1.1 out.

The package splits into a pure core (``article``, ``sanitize``, ``feeds``, ``render``) that never
imports an AWS SDK, adapters for each AWS service (``aws``), and the command line (``cli``).
"""

__version__ = "0.1.0"
