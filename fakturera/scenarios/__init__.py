"""Scenario tests: one per original product document (../shared/seeds), each following
the document's workflow step by step through the public services and selectors, as
Tryton's scenario tests follow a user story. Not an installed app: it has no models,
only tests/."""
