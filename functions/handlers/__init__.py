"""Lambda entry points: thin shells that parse the event, call feedpub and shape the response."""
