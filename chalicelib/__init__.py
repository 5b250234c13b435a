"""Packaged into the Lambda zip: the generic mechanism (``async_api``) and the example's code."""
