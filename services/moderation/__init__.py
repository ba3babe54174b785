"""The site's moderation data: what people flagged (comments hidden and restored are
events, folded by the proposal aggregate)."""
