"""Helpers of the appel à projets tests: a call, a funder's yearly list as a file, French people of each role."""

from __future__ import annotations

from typing import Any

from tests.conftest import identity

FUNDERS = {"etat-prefecture": 400_000, "nantes-metropole": 600_000, "ville-nantes": 300_000,
           "departement-loire-atlantique": 150_000, "caf": 100_000}
METROPOLE = identity("nantes-metropole", "referent", name="Référente Métropole")
CAF = identity("caf", "referent", name="Référent CAF")
NOT_A_FUNDER = identity("pole-emploi", "referent", name="Référent Pôle emploi")
HEADER = ("association;rna_siren;titre;resume;qpv;themes;engagements;montant_demande;decision;montant_accorde;"
          "date_decision;date_versement;montant_verse;cpo")


def call_body(**extra: Any) -> dict:
    return {"title": "Appel à projets 2025", "opens_on": "2024-10-01", "closes_on": "2024-12-15",
            "decisions_by": "2025-04-30",
            "envelopes": [{"funder_id": f, "amount": a} for f, a in FUNDERS.items()],
            "priorities": [{"text": "Emploi des jeunes", "engagements": [17]}], **extra}


def line(n: int, *, decision: str = "accordé", granted: str = "5000", paid_on: str = "", paid: str = "",
         cpo: str = "non", qpv: str = "malakoff", rna: str | None = None) -> str:
    return (f"Association Démo {n};{rna or f'W44200{n:04d}'};Projet n° {n};Un résumé, avec des accents : été;{qpv};"
            f";49;{int(granted or 0) + 1000};{decision};{granted};2025-03-10;{paid_on};{paid};{cpo}")


def funder_file(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")
