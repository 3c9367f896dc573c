"""Reading data files and user options into the model's frozen values, and back out."""
