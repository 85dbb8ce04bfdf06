"""reviews models: added by the issue that builds this app (see DESIGN.md)."""
