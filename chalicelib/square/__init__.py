"""The shipped example: ``GET /square/{number}`` squares a number exactly.

``arithmetic`` parses and squares; ``handler`` is the domain handler that
app.py declares as ``get_square_fn``. Replace it with your own work
(docs/add-your-own-endpoint.md).
"""
