"""The log fixtures (`log`, `backends`) live in tests/conftest.py so service tests share them."""
