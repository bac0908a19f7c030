"""Pipeline stages: each reads its input from the warehouse, does pure work, writes its output back."""
