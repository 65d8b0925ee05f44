"""Reference cases (flown missions, published tables) and their replay through msrsim's
models: ``msrsim validate``, the report's validation section and the tests run them."""
