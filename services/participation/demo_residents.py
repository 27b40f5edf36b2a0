"""Demo residents for `make run` (called by `demo.seed` once the governance members are seated): the 8 conseils
citoyens' profiles, one member of each shown by first name and initial (the others only counted), a rencontre
inter-conseils, and two opinions on engagement 47 — one answered by a pilot, one past its due date. Fictional
("Démo") people; everything goes through the service's functions, events included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kernel.identity import Identity
from services.participation.schemas import ConseilIn, DisplayIn, InterConseilIn, OpinionAnswerIn, OpinionIn
from services.participation.service import conseils, opinions
from services.participation.service.catalogue import EngagementSeen
from services.participation.service.members import active_members

# (created on, activities, presentation) per conseil of the contract.
PROFILES = {
    "cc-malakoff": (date(2015, 11, 18), ["cadre-de-vie", "renouvellement-urbain", "jeunesse"],
                    "Suit le renouvellement urbain du quartier et organise des balades urbaines."),
    "cc-nantes-nord": (date(2016, 2, 3), ["tranquillite", "education", "proprete"],
                       "Travaille avec les écoles et les bailleurs sur la tranquillité et la propreté."),
    "cc-dervallieres": (date(2015, 12, 9), ["jardins-partages", "cadre-de-vie"],
                        "Anime deux jardins partagés et un comité d'usagers de la place centrale."),
    "cc-bottiere-pin-sec": (date(2016, 3, 16), ["proprete", "culture"],
                            "Organise des opérations « quartier propre » et une fête de quartier."),
    "cc-grand-bellevue": (date(2015, 10, 7), ["cadre-de-vie", "emploi", "renouvellement-urbain"],
                          "Réunit des habitants de Nantes et de Saint-Herblain autour du projet Grand Bellevue."),
    "cc-chateau-reze": (date(2016, 1, 20), ["education", "sante"], "Ateliers santé et accompagnement scolaire."),
    "cc-plaisance": (date(2016, 4, 13), ["tranquillite", "jardins-partages"],
                     "Jardin partagé et marches exploratoires de nuit."),
    "cc-sillon-de-bretagne": (date(2016, 5, 25), ["cadre-de-vie", "proprete"],
                              "Suit la rénovation de la tour et des espaces extérieurs."),
}
CONTACT = "Accompagnement RésO Villes — conseils-citoyens@cdv-demo.test (démo)"
SECRETARIAT = Identity(user_id="demo", email="secretariat.copil@cdv-demo.test", name="Claire Dubois (démo)",
                       organisation_id="nantes-metropole", roles=["secretariat"])
ENGAGEMENT = 47


async def _writer(session: Any, body_id: str) -> Identity:
    """A seated member of the conseil, as the account they would log in with."""
    _, person = (await active_members(session, body_id))[0]
    return Identity(user_id=f"demo-{person.id}", email=person.email or "", name=person.name, roles=["membre"])


async def seed_residents(db: Any, outbox: Any, settings: Any, today: date) -> str:
    """The residents' demo; the governance demo calls it once participation knows the contract's engagements."""
    async with db.session() as session:
        for body_id, (created_on, activities, text) in PROFILES.items():
            await conseils.update_conseil(session, outbox, SECRETARIAT, body_id, ConseilIn(
                created_on=created_on, contact=CONTACT, activities=activities, activities_text=text + " (démo)"))
            first_seat, _ = (await active_members(session, body_id))[0]
            await conseils.set_display(session, outbox, SECRETARIAT, first_seat.id, DisplayIn(display="prenom"))
        await conseils.schedule_inter_conseils(session, outbox, settings, SECRETARIAT, InterConseilIn(
            host_body_id="cc-dervallieres", starts_at=datetime.combine(today + timedelta(days=24), time(18)),
            ends_at=datetime.combine(today + timedelta(days=24), time(20)), place="Maison de quartier des "
                                                                                    "Dervallières (démo)"))
    async with db.session() as session:
        seen = await session.get(EngagementSeen, ENGAGEMENT)
    pilots = list(seen.pilots) if seen is not None else []
    if not pilots:
        return "fiches des 8 conseils citoyens ; pas d'avis (le contrat ne donne pas de pilote à l'engagement 47)"
    async with db.session() as session:
        answered = await opinions.publish_opinion(session, outbox, settings, await _writer(session, "cc-malakoff"),
                                                  OpinionIn(body_id="cc-malakoff", engagement_number=ENGAGEMENT,
                                                            text="Le conseil citoyen demande que les ordres du jour "
                                                                 "des COPIL lui parviennent en même temps qu'aux "
                                                                 "signataires, pour préparer ses avis. (démo)"),
                                                  at=datetime.now(UTC) - timedelta(days=50))
        pilot = Identity(user_id="demo-pilote", email="", name="Référent (démo)", organisation_id=pilots[0],
                         roles=["referent"])
        await opinions.answer_opinion(session, outbox, settings, pilot, answered.id, OpinionAnswerIn(
            text="Les ordres du jour sont désormais envoyés aux conseils citoyens le jour de leur diffusion aux "
                 "signataires. (démo)", version=answered.version), at=datetime.now(UTC) - timedelta(days=30))
        await opinions.publish_opinion(session, outbox, settings, await _writer(session, "cc-nantes-nord"),
                                       OpinionIn(body_id="cc-nantes-nord", engagement_number=ENGAGEMENT,
                                                 text="Nous souhaitons un bilan des moyens donnés aux conseils "
                                                      "citoyens (locaux, formation, accompagnement). (démo)"),
                                       at=datetime.now(UTC) - timedelta(days=45))
    return "fiches des 8 conseils citoyens, une rencontre inter-conseils, deux avis (un avec réponse, un en retard)"
