"""Governance pages: bodies and members, meetings and agendas, minutes, the decision register, the pack."""

from gateway.pages.participation import agenda, bodies, decisions, meetings

ROUTERS = [bodies.router, meetings.router, agenda.router, decisions.router]
