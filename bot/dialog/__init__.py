"""The data-driven dialog engine: flows declared in `knowledge/flows/*.yaml`."""
