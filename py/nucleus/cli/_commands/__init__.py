"""The commands of ``nucleus``, one module each; ``COMMAND`` in each is its definition and help."""
