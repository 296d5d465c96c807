"""What the scoring domain stores."""
