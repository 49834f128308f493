"""Full-order models used by the tests, the demos and the notebooks."""
