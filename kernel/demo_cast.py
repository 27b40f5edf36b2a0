"""The demo cast: who plays whom in `make run`'s demonstration, derived from the contract loaded.

Every demo module (the gateway's demo accounts, participation's governance year, and any other demo data) takes
its organisations, people and bodies from one `DemoCast`, so that another agglomeration's contract gets demo
accounts and a demo governance of its own organisations, not Nantes'. The cast is computed from the contract
file's plain data (the format of `contracts/contract.schema.json`, already validated by `gateway.cli
load-contract`), here in the kernel because services and the gateway both need it and never import each other.

Who is chosen (ties go to the contract's order):
- the *lead* organisation: the one the contract's `territory` names (Nantes Métropole for Nantes), else the
  collectivité piloting the most engagements; its secretariat runs the COPIL;
- referents of: the biggest pilot (most engagements, the lead aside), the lead itself, a State service with a
  focused portfolio (the State pilot with the fewest engagements among those with at least three), and the
  biggest pilot that is neither State nor collectivité (an organisme public, a bailleur…);
- each referent sits in the COPIL and/or the GTC and in the thematic group closest to its engagements.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "nantes-metropole-2019.yaml"
DEMO_DOMAIN = "cdv-demo.test"  # a reserved top-level domain: these addresses receive no mail
FOCUSED_PORTFOLIO = 3  # the State referent's service pilots at least this many engagements

# Slot -> (the person's fictional name, the bodies' kinds they sit in besides their thematic group).
REFERENT_SLOTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "biggest": ("Léa Moreau", ("copil", "gtc")),
    "lead": ("Karim Benali", ("copil", "gtc")),
    "state": ("Sophie Le Gall", ("gtc",)),
    "small": ("Thomas Guérin", ("copil",)),
}
# Who represents whom in each kind of body (organisation kinds, in order; filled in the contract's order).
REPRESENTED_KINDS: dict[str, tuple[str, ...]] = {
    "copil": ("etat", "collectivite", "organisme-public", "organisme-public", "bailleur", "association",
              "instance-participative"),
    "gtc": ("etat", "collectivite", "collectivite", "organisme-public", "instance-participative"),
    "groupe-thematique": ("collectivite", "etat", "association"),
    "interbailleurs": ("bailleur",) * 8,
    "inter-associatif": ("association", "association", "instance-participative"),
    "conseil-citoyen": ("instance-participative", "instance-participative"),
    "rdv-politique-de-la-ville": ("lead", "association", "instance-participative"),
}


def spelling_key(text: str) -> str:
    """Case- and accent-insensitive key, so that "Pôle Emploi" and "pole emploi" name the same organisation."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("–", "-").split())


@dataclass(frozen=True)
class CastOrganisation:
    id: str
    name: str
    kind: str
    engagements: tuple[int, ...]  # the engagements it pilots, in number order


@dataclass(frozen=True)
class CastBody:
    id: str
    name: str
    kind: str
    themes: tuple[str, ...] = ()
    qpv: str | None = None
    organisation: str | None = None  # the organisation the body also is (the inter-associatif…)
    engagements: tuple[int, ...] = ()  # the engagements that provide for it (the COPIL's governance ones)


@dataclass(frozen=True)
class CastPerson:
    """A demo account (and, for referents, a member of some bodies under the same address)."""

    slot: str  # "admin", "secretariat" or a key of REFERENT_SLOTS
    name: str
    email: str
    role: str
    organisation_id: str | None
    bodies: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoCast:
    contract_id: str
    territory: str
    lead: str
    organisations: tuple[CastOrganisation, ...]
    bodies: tuple[CastBody, ...]
    people: tuple[CastPerson, ...]
    engagement_themes: Mapping[int, str] = field(default_factory=dict)
    theme_titles: Mapping[str, str] = field(default_factory=dict)
    qpv: tuple[str, ...] = ()

    def organisation(self, organisation_id: str) -> CastOrganisation:
        return next(o for o in self.organisations if o.id == organisation_id)

    def of_kind(self, kind: str) -> list[CastOrganisation]:
        return [o for o in self.organisations if o.kind == kind]

    def theme_of(self, number: int | None) -> str:
        """The title of an engagement's theme ("" for none)."""
        return self.theme_titles.get(self.engagement_themes.get(number or 0, ""), "")

    def body(self, kind: str) -> CastBody | None:
        """The first body of a kind (the COPIL, the GTC…), if the contract has one."""
        return next((b for b in self.bodies if b.kind == kind), None)

    @property
    def secretariat(self) -> CastPerson:
        return next(p for p in self.people if p.slot == "secretariat")

    @property
    def referents(self) -> tuple[CastPerson, ...]:
        return tuple(p for p in self.people if p.role == "referent")

    def referent(self, slot: str) -> CastPerson | None:
        return next((p for p in self.people if p.slot == slot), None)

    def pilot(self, slot: str) -> CastOrganisation:
        """The organisation of a referent slot; the lead when the contract gave that slot nobody."""
        person = self.referent(slot)
        return self.organisation(person.organisation_id if person and person.organisation_id else self.lead)

    def representatives(self, body_kind: str) -> list[str]:
        """Organisations seated in a body of that kind (two at least, the lead if no other), in the contract's
        order; an organisation is seated once, except the residents' bodies (several conseils citoyens' members)."""
        taken: Counter[str] = Counter()
        chosen = []
        # Those already seated elsewhere step aside: the referents, and bodies standing for themselves.
        aside = {self.lead, *(p.organisation_id for p in self.referents)}
        aside |= {b.organisation for b in self.bodies if b.organisation and b.kind != body_kind}
        for kind in REPRESENTED_KINDS.get(body_kind, ("lead",)):
            if kind == "lead":
                chosen.append(self.lead)
                continue
            candidates = [o for o in self.of_kind(kind) if o.id not in aside] or self.of_kind(kind)
            if taken[kind] < len(candidates) or (candidates and kind == "instance-participative"):
                chosen.append(candidates[taken[kind] % len(candidates)].id)  # residents may share one
                taken[kind] += 1
        chosen = chosen or [self.lead]
        return chosen if len(chosen) > 1 else chosen * 2  # a body of one is no demo of a body


def _lead(info: Mapping[str, Any], orgs: list[CastOrganisation], names: dict[str, str]) -> str:
    named = names.get(spelling_key(str(info.get("territory") or "")))
    if named:
        return named
    collectivites = [o for o in orgs if o.kind == "collectivite"] or orgs
    return max(collectivites, key=lambda o: (len(o.engagements), -orgs.index(o))).id


def _biggest(candidates: Iterable[CastOrganisation], order: list[CastOrganisation]) -> CastOrganisation | None:
    found = [o for o in candidates if o.engagements]
    return max(found, key=lambda o: (len(o.engagements), -order.index(o))) if found else None


def _state(orgs: list[CastOrganisation]) -> CastOrganisation | None:
    state = [o for o in orgs if o.kind == "etat" and o.engagements]
    focused = [o for o in state if len(o.engagements) >= FOCUSED_PORTFOLIO]
    if focused:
        return min(focused, key=lambda o: (len(o.engagements), orgs.index(o)))
    return _biggest(state, orgs)


def _thematic_group(org: CastOrganisation, groups: list[CastBody], themes: Mapping[int, str],
                    given: set[str]) -> str | None:
    """The thematic group following most of the organisation's engagements (one not given yet, if possible)."""
    counts = Counter(themes.get(n) for n in org.engagements)
    ranked = sorted(groups, key=lambda g: (-sum(counts[t] for t in g.themes), g.id in given, groups.index(g)))
    ranked = [g for g in ranked if sum(counts[t] for t in g.themes)] or ranked
    fresh = [g for g in ranked if g.id not in given]
    best = (fresh or ranked)[:1]
    return best[0].id if best else None


def cast_from_contract(data: Mapping[str, Any]) -> DemoCast:
    """The cast for a contract's plain data (a parsed contract file)."""
    names: dict[str, str] = {}
    for o in data["organisations"]:
        for spelling in (o["id"], o.get("name"), o.get("short_name"), *(o.get("aliases") or [])):
            if spelling:
                names.setdefault(spelling_key(spelling), o["id"])
    piloted: dict[str, list[int]] = {o["id"]: [] for o in data["organisations"]}
    themes = {}
    for e in data["engagements"]:
        themes[int(e["number"])] = e["theme"]
        for pilot in e.get("pilots") or []:
            org_id = names.get(spelling_key(pilot["organisation"]))
            if org_id:
                piloted[org_id].append(int(e["number"]))
    orgs = [CastOrganisation(o["id"], o["name"], o["kind"], tuple(sorted(set(piloted[o["id"]]))))
            for o in data["organisations"]]
    bodies = [CastBody(b["id"], b["name"], b["kind"], tuple(b.get("themes") or []), b.get("qpv"),
                       names.get(spelling_key(b["organisation"])) if b.get("organisation") else None,
                       tuple(b.get("engagements") or []))
              for b in data.get("bodies") or []]
    info = data["contract"]
    lead = _lead(info, orgs, names)
    by_id = {o.id: o for o in orgs}
    chosen: dict[str, CastOrganisation | None] = {
        "biggest": _biggest((o for o in orgs if o.id != lead), orgs),
        "lead": by_id[lead] if by_id[lead].engagements else None,
        "state": _state(orgs),
        "small": _biggest((o for o in orgs if o.kind not in ("etat", "collectivite")), orgs),
    }
    groups = [b for b in bodies if b.kind == "groupe-thematique"]
    people = [CastPerson("admin", "Alex Martin", f"admin@{DEMO_DOMAIN}", "admin", None),
              CastPerson("secretariat", "Claire Dubois", f"secretariat.copil@{DEMO_DOMAIN}", "secretariat", lead)]
    seated: set[str] = set()
    given: set[str] = set()
    for slot in ("state", "small", "lead", "biggest"):  # the focused portfolios choose their group first
        org = chosen[slot]
        if org is None or org.id in seated:
            continue
        seated.add(org.id)
        name, kinds = REFERENT_SLOTS[slot]
        body_ids = [b.id for kind in kinds if (b := next((b for b in bodies if b.kind == kind), None))]
        group = _thematic_group(org, groups, themes, given)
        if group:
            given.add(group)
            body_ids.append(group)
        people.append(CastPerson(slot, name, f"referent.{org.id}@{DEMO_DOMAIN}", "referent", org.id,
                                 tuple(body_ids)))
    order = ["admin", "secretariat", *REFERENT_SLOTS]
    people.sort(key=lambda p: order.index(p.slot))
    return DemoCast(contract_id=info["id"], territory=info.get("territory", ""), lead=lead,
                    organisations=tuple(orgs), bodies=tuple(bodies), people=tuple(people),
                    engagement_themes=themes,
                    theme_titles={t["id"]: t["title"] for a in data["axes"] for t in a["themes"]},
                    qpv=tuple(q["id"] for q in data.get("qpv") or []))


def read_contract(path: Path) -> Any:
    text = Path(path).read_text(encoding="utf-8")
    return json.loads(text) if Path(path).suffix == ".json" else yaml.safe_load(text)


def load_cast(path: Path | None = None) -> DemoCast:
    """The cast of a contract file (the default contract when none is given)."""
    return cast_from_contract(read_contract(path or DEFAULT_CONTRACT))
