"""Demo data of the inter-associatif and the mandats citoyens, seeded by `services.participation.demo`: the
inter-associatif's fictional member associations (marked demo) and one application awaiting a decision; a mandat
citoyen (engagement 5) with its members, a finding and two recommendations, one answered, one overdue.
Idempotent on its own (nothing is done once the demo mandate exists). Through the service's functions, so the
events (and the count of active associations, an indicator of engagement 47) are published like any others."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.identity import Identity
from kernel.outbox import Outbox
from services.participation.events import RecommendationPublished
from services.participation.schemas import AnswerIn, FindingIn, MandateIn, MandateMemberIn, PersonIn
from services.participation.service import applications, mandates, recommendations
from services.participation.service.common import PARIS, new_id
from services.participation.settings import Settings

DOMAIN = "cdv-demo.test"
SECRETARIAT = Identity(user_id="demo", email=f"secretariat.copil@{DOMAIN}", name="Claire Dubois (démo)",
                       organisation_id="nantes-metropole", roles=["secretariat"])
ASSOCIATIONS = [  # fictional (name, RNA, QPV, purpose)
    ("Jardins du Sillon (démo)", "W442000101", "sillon-de-bretagne",
     "Jardins partagés et ateliers de jardinage avec les habitants et les écoles du quartier."),
    ("Bellevue Solidaire (démo)", "W442000102", "grand-bellevue",
     "Aide aux devoirs, accès aux droits et permanences d'écrivain public."),
    ("Nantes Nord en Fête (démo)", "W442000103", "nantes-nord",
     "Fêtes de quartier, repas partagés et animations de rue l'été."),
    ("Malakoff Sports et Loisirs (démo)", "W442000104", "malakoff",
     "Sport de proximité pour les jeunes et les familles, tournois inter-quartiers."),
    ("Les Voisins du Château (démo)", "W442000105", "chateau-reze",
     "Lien entre voisins, propreté et tranquillité des espaces communs."),
]
def ascii_address(local: str) -> str:
    """Accents folded, as real municipal addresses are (many mail servers refuse others)."""
    return unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode() + f"@{DOMAIN}"


MANDATE_TITLE = "Espaces de vie du Breil et de Bottière : appropriation par les enfants, les femmes et les séniors"


async def _associations(session: AsyncSession, outbox: Outbox, today: date) -> None:
    for i, (name, rna, qpv, purpose) in enumerate(ASSOCIATIONS):
        await applications.add_demo_member(session, outbox, name=name, rna=rna, qpv_id=qpv, purpose=purpose,
                                           since=today - timedelta(days=400 - 60 * i))
    if (await session.exec(select(applications.Application).where(
            applications.Application.rna == "W442000199"))).first() is None:
        session.add(applications.Application(
            id=new_id(), body_id=applications.BODY_ID, association_name="Bottière Ensemble (démo)", rna="W442000199",
            qpv_id="bottiere-pin-sec", purpose="Ateliers couture et cuisine du monde, sorties familiales.",
            contact_name="Nora Démo", contact_email=f"nora.demo@{DOMAIN}", consent=True, status="pending",
            live_key="W442000199", client_hash="demo", demo=True, confirmed_at=datetime.now(UTC)))


async def _recommendation(session: AsyncSession, outbox: Outbox, settings: Settings, mandate: mandates.Mandate,
                          text: str, organisation_id: str, published: date,
                          due_on: date) -> recommendations.Recommendation:
    """A recommendation published some time ago (its due date may be past: the demo shows an overdue answer)."""
    rec = recommendations.Recommendation(id=new_id(), mandate_id=mandate.id, text=text,
                                         organisation_id=organisation_id, due_on=due_on,
                                         published_at=datetime.combine(published, time(18), PARIS))
    session.add(rec)
    await outbox.record(session, RecommendationPublished(
        recommendation_id=rec.id, mandate_id=mandate.id, mandate_title=mandate.title, text=text,
        organisation_id=organisation_id, due_on=due_on, engagements=mandate.engagements,
        url=mandates.mandate_url(settings, mandate.id)), subject=f"mandate/{mandate.id}")
    await session.commit()
    return rec


async def seed(session: AsyncSession, outbox: Outbox, settings: Settings, today: date) -> str | None:
    """Seeds the residents' demo; None if it is already there."""
    if (await session.exec(select(mandates.Mandate).where(mandates.Mandate.demo == True))).first():  # noqa: E712
        return None
    await _associations(session, outbox, today)
    await session.commit()
    mandate = await mandates.open_mandate(session, outbox, settings, SECRETARIAT, MandateIn(
        title=MANDATE_TITLE, engagements=[5, 48], qpv_ids=["breil", "bottiere-pin-sec"],
        description="Six habitants évaluent les places, squares et pieds d'immeubles de deux quartiers : qui les "
                    "utilise, à quelles heures, ce qui manque pour que chacun s'y sente bien. (Mandat de "
                    "démonstration.)",
        starts_on=today - timedelta(days=150), ends_on=today + timedelta(days=120)), demo=True)
    for i, first in enumerate(("Amina", "Bernard", "Céline")):
        await mandates.add_member(session, outbox, SECRETARIAT, mandate.id, MandateMemberIn(person=PersonIn(
            name=f"{first} Démo-Mandat", email=ascii_address(f"{first.lower()}.mandat"), public_name=i == 0)))
    await mandates.publish_finding(session, outbox, SECRETARIAT, mandate.id, FindingIn(
        text="Les squares sont surtout fréquentés par des garçons de 10 à 16 ans ; les femmes et les séniors disent "
             "ne pas s'y attarder faute de bancs à l'ombre et d'éclairage le soir."))
    answered = await _recommendation(
        session, outbox, settings, mandate, "Installer des bancs à l'ombre et un éclairage doux dans le square du "
        "Breil, choisis avec les habitantes et les séniors.", "ville-nantes", today - timedelta(days=90),
        today - timedelta(days=30))
    await recommendations.answer(session, outbox, Identity(
        user_id="demo-ville-nantes", email="", name="Référent (démo)", organisation_id="ville-nantes",
        organisation_name="Ville de Nantes", roles=["referent"]), answered.id, AnswerIn(
        answer="partielle", version=answered.version,
        text="Six bancs seront posés au printemps ; l'éclairage sera étudié avec Nantes Métropole en 2027."),
        at=datetime.combine(today - timedelta(days=40), time(10), PARIS))
    await _recommendation(
        session, outbox, settings, mandate, "Ouvrir la cour de l'école de la Bottière le samedi aux familles, avec "
        "une animation par une association du quartier.", "nantes-metropole", today - timedelta(days=75),
        today - timedelta(days=15))
    return ("Démo des habitants chargée : inter-associatif de 5 associations (démo) et une candidature en attente, "
            "un mandat citoyen avec deux préconisations (une avec réponse, une en retard).")
