"""The shell around cli.py: options, terminal rendering, tables. Only here are typer and rich imported."""
