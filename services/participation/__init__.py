"""Participation: organisations and bodies of the contract, QPV, memberships, mandats citoyens, meetings."""
