"""Gateway: the only public HTTP surface for people (pages, login, per-organisation views, integrator docs)."""
