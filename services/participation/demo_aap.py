"""Demo appel à projets for `make run`: the 2025 call with about 60 fictional projects (marked demo) across the QPV,
funders and themes, the funders' decisions (about one in eight refused, a few still pending) and payments with
realistic delays (3 to 16 weeks), a few new CPO. Deterministic (a seeded draw) and idempotent: nothing is done if
the 2025 call exists. Run by `python -m services.participation.demo` after the governance demo."""

from __future__ import annotations

import random
from datetime import date, timedelta

from kernel.db import Database
from kernel.identity import Identity
from kernel.outbox import Outbox
from services.participation.aap_format import luhn_ok
from services.participation.schemas import AapCallIn, AapProjectIn, EnvelopeIn, FundingDecisionIn, PaymentIn, PriorityIn
from services.participation.service import aap_calls, aap_fundings, aap_measures, aap_projects, catalogue
from services.participation.service.registry import Organisation, Qpv

YEAR = 2025
SECRETARIAT = Identity(user_id="demo", email="secretariat.copil@cdv-demo.test", name="Claire Dubois (démo)",
                       organisation_id="nantes-metropole", roles=["secretariat"])
ENVELOPES = {"etat-prefecture": 420_000, "nantes-metropole": 650_000, "ville-nantes": 380_000, "ville-reze": 60_000,
             "ville-saint-herblain": 70_000, "ville-orvault": 25_000, "departement-loire-atlantique": 160_000,
             "caf": 120_000}
QPV_CITY = {"grand-bellevue": "ville-nantes", "bottiere-pin-sec": "ville-nantes", "nantes-nord": "ville-nantes",
            "dervallieres": "ville-nantes", "malakoff": "ville-nantes", "breil": "ville-nantes",
            "chateau-reze": "ville-reze", "plaisance": "ville-orvault", "sillon-de-bretagne": "ville-saint-herblain"}
KINDS = [("Ateliers d'écriture", "culture", [37]), ("Accompagnement à la scolarité", "reussite-educative", [21]),
         ("Chantier éducatif", "emploi-formation", [17]), ("Jardin partagé", "renouvellement-urbain-cadre-de-vie", [6]),
         ("Permanence d'accès aux droits", "acces-aux-droits", [30]), ("Sport au pied des immeubles", "sport", [44]),
         ("Médiation de nuit", "tranquillite-publique", [9]), ("Café des parents", "reussite-educative", [22]),
         ("Atelier numérique", "numerique", [3]), ("Fête de quartier", "image-des-quartiers", [1])]
NAMES = ["Les Amis du quartier", "Graines de liens", "Horizon jeunesse", "La Maison des voisins", "Culture en partage",
         "Sport pour tous", "Passerelles", "Le Fil d'Ariane", "Solidarités actives", "L'Envol"]


def _siren(n: int) -> str:
    base = f"{800000000 + n * 1013:09d}"[:8]
    return next(base + str(k) for k in range(10) if luhn_ok(base + str(k)))


async def seed(db: Database, outbox: Outbox) -> str:
    rng = random.Random(2025)
    async with db.session() as session:
        if await session.get(aap_calls.AapCall, YEAR) is not None:
            return "Démo de l'appel à projets déjà chargée."
        # Its funders and QPV are Nantes': another contract has no demo call.
        known = [await session.get(Organisation, f) for f in ENVELOPES] + [await session.get(Qpv, q) for q in QPV_CITY]
        if None in known:
            return ""
        themes = await catalogue.themes(session)
        await aap_calls.define_call(session, outbox, SECRETARIAT, YEAR, AapCallIn(
            title="Appel à projets 2025 du contrat de ville", opens_on=date(2024, 10, 1), closes_on=date(2024, 12, 13),
            decisions_by=date(2025, 4, 30), envelopes=[EnvelopeIn(funder_id=f, amount=a) for f, a in ENVELOPES.items()],
            priorities=[PriorityIn(text="Emploi et insertion des jeunes", engagements=[17]),
                        PriorityIn(text="Réussite éducative et parentalité", engagements=[21, 22]),
                        PriorityIn(text="Vie associative des quartiers", engagements=[49])]))
        for n in range(60):
            title, theme, engagements = KINDS[n % len(KINDS)]
            qpv = list(QPV_CITY)[n % len(QPV_CITY)]
            qpvs = [qpv] + ([list(QPV_CITY)[(n + 3) % len(QPV_CITY)]] if n % 7 == 0 else [])
            asked = rng.randrange(3, 40) * 500
            number = f"W44{n + 2000:07d}" if n % 3 else _siren(n)
            p = await aap_projects.add_project(session, outbox, SECRETARIAT, YEAR, AapProjectIn(
                association_name=f"{NAMES[n % len(NAMES)]} ({qpv.replace('-', ' ').title()})", association_id=number,
                title=f"{title} — {n + 1}", summary=f"{title} pour les habitants du quartier (projet fictif de "
                                                     "démonstration).", qpv=qpvs,
                themes=[theme] if not themes or theme in themes else [], engagements=engagements,
                amount_asked=asked, cpo="nouvelle" if n % 13 == 4 else ("en_cours" if n % 11 == 5 else "non"),
                demo=True), commit=False)
            if n % 20 == 19:
                continue  # still pending
            funders = ["etat-prefecture", QPV_CITY[qpv]] + (["nantes-metropole"] if n % 2 else []) + \
                (["caf"] if n % 5 == 1 else []) + (["departement-loire-atlantique"] if n % 6 == 2 else [])
            decided = date(2025, 3, 3) + timedelta(days=rng.randrange(0, 50))
            refused = n % 8 == 3
            for f in funders:
                share = max(500, (asked // len(funders)) // 100 * 100)
                await aap_fundings.decide(session, outbox, SECRETARIAT, p.id, f, FundingDecisionIn(
                    decision="refuse" if refused else "accorde", amount_granted=0 if refused else share,  # type: ignore[arg-type]
                    decided_on=decided), commit=False, refresh=False)
                if refused or rng.random() < 0.15:
                    continue  # not paid yet
                delay = int(rng.triangular(21, 112, 45 if f != "etat-prefecture" else 70))
                first = share if share < 3000 else share * 8 // 10
                await aap_fundings.pay(session, outbox, SECRETARIAT, p.id, f, PaymentIn(
                    paid_on=decided + timedelta(days=delay), amount=first), commit=False, refresh=False)
                if first < share and rng.random() < 0.4:
                    await aap_fundings.pay(session, outbox, SECRETARIAT, p.id, f, PaymentIn(
                        paid_on=decided + timedelta(days=delay + 150), amount=share - first), commit=False,
                        refresh=False)
        await aap_measures.refresh(session, outbox, YEAR)
        await session.commit()
    return "Démo de l'appel à projets 2025 chargée : 60 projets fictifs, décisions et versements."
