"""The gateway's pages, one router per area (home, login, engagements, overview, administration)."""
