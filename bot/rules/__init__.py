"""Small pure functions that decide what a flow concludes; texts live in `knowledge/`."""
