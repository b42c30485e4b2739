"""What the product does. No Qt: the CLI and the UI both call these."""
