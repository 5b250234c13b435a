"""Code shared by the routes and get_square_fn; packaged into the Lambda zip."""
