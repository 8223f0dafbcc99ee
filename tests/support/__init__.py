"""What the tests share, and the benchmarks may import: paths and the fixed clock, the template's
stack in moto and the drivers that run the functions on it, the fault-matrix harness, the moto
server behind a slow network, fake hubs and origins, CloudFront logs, and the feed checkers.

Fixtures live in the conftest.py files; everything else the tests share lives here (a test
module never imports another test module).
"""
