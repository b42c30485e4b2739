"""Record forms for the main window's right pane (teams, members, guides, sessions)."""
