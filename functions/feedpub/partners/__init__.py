"""What news aggregators require of a feed, and the documents some of them need.

`rules` is the one table of partner requirements (each with its source), `model` reads any feed
(RSS 2.0, Atom 1.0, JSON Feed 1.1) into a small neutral form the rules look at, `check` applies
them, and `smartnews` writes the SmartFormat variant of the site feed. Pure: lxml and json only,
so the publisher runs the same checks in Lambda that `feedpub doctor` runs on a laptop.
"""
