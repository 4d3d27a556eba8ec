"""The web app's process: serves the static HTML, CSS and ES modules of the browser app (decision 0025)."""
