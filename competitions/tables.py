"""What the competitions domain stores."""
