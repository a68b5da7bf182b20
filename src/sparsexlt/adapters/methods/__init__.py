"""Built-in methods; importing this package registers each of them by name."""
