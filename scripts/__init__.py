"""Development scripts, run as modules from the repository: `python -m scripts.develop`."""
