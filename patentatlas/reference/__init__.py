"""Reference data shipped with the product: regions, IPC, status vocabulary."""
