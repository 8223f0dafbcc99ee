"""feedpub_cli: the `feedpub` command and the local stack, for people and their machines.

Not deployed: the Lambda artifact is functions/ (the ``feedpub`` core and ``handlers``), and nothing
there imports this package. ``main`` is the command line (build, check, upload, audit, backfill,
doctor, serve, ...); ``local`` is `feedpub serve`: template.yaml on moto, the function runner, the
CloudFront and WebSub hub stand-ins. Its dependencies are the ``cli`` and ``local`` extras (click,
tqdm, boto3; moto, cfn-lint, aws-sam-translator), never the Lambda's.
"""
