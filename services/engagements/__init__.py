"""Engagements: the contract's catalogue (axes, themes, 50 engagements, actions, pilots) and progress tracking."""
