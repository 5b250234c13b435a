"""The stack and the API definition it gives API Gateway."""
