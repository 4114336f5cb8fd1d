"""The demo firm: a profile for the CLI and a seeded installation for `make run` and the tests."""
