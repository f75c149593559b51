"""The settings rules: the table of pool cases (pool_cases.py) and the tests that check both sides."""
