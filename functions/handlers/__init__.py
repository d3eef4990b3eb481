"""One module per concern; main.py hands each entry point to a function here."""
