"""What the awards domain stores."""
