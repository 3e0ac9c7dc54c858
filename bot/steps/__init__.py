"""One module per step of the method: its option lists, its conclusion and its summary card."""
