"""What every long-running process shares: collector settings, its parent, quiet logs."""
