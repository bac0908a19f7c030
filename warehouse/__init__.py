"""DuckDB warehouse: migrations, views and the connection helper."""
