"""Who acts: node API keys and the site's accounts and sessions."""
