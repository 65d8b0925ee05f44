"""Reports: plots, tables and files written from campaign results (the top layer)."""
