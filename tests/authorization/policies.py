"""The authorization matrix: one line per route, `METHOD path policy`, the expected outcome per role derived from
the policy. A route missing here (or a line left for a route that is gone) fails `test_every_route_has_a_policy`.

Roles: `anonymous` (no account: the gateway's visitor; for a service, the gateway's signed « public » identity),
`pilot` (referent of the organisation the object belongs to: ville-nantes, pilot of engagement 9),
`other` (referent of another organisation), `member` (an account whose person sits in the COPIL; accounts always
have a role, so this one is a referent of the organisation it represents there), `secretariat`, `admin`,
`integrator` (an account with the integrator role; an integrator without an account is `anonymous`).
"""

from __future__ import annotations

ROLES = ("anonymous", "pilot", "other", "member", "secretariat", "admin", "integrator")
SIGNED_IN = ROLES[1:]
POLICIES: dict[str, frozenset[str]] = {
    "open": frozenset(ROLES),  # no identity needed at all (health, readiness, API documentation)
    "public": frozenset(ROLES),
    "visitor": frozenset({"anonymous"}),  # the login form: a signed-in session holds no login token (403)
    "token": frozenset(ROLES),  # anyone holding the link's secret token (a wrong token: 404 for everyone)
    "authenticated": frozenset(SIGNED_IN),
    "referent": frozenset({"pilot", "other", "member"}),  # referents of any organisation (not the secretariat)
    "organisation": frozenset({"pilot"}),  # the organisation's own referents only (its values before submission)
    "partner": frozenset({"pilot", "other", "member", "secretariat", "admin"}),  # referents and the secretariat
    "pilot": frozenset({"pilot", "secretariat", "admin"}),
    "member": frozenset({"member", "secretariat", "admin"}),  # of the object's body (its draft meetings, its pack)
    "seated": frozenset({"member"}),  # members of the body only (proposing an item)
    "contributor": frozenset(),  # members of the interbailleurs or the inter-associatif: none of these roles
    "resident": frozenset(),  # members of a conseil citoyen or of the inter-associatif (their opinions): none of these
    "funder": frozenset({"pilot", "other", "secretariat", "admin"}),  # the referents of the call's funders (the demo
    # call's envelopes include ville-nantes and ville-reze, not the member's organisation) and the secretariat
    "answerer": frozenset({"pilot", "other"}),  # referents of the organisations that owe the answer (the pilots of
    # the opinion's engagement, 47: ville-nantes and ville-reze among them); the secretariat only when none is known
    "mandated": frozenset({"secretariat", "admin"}),  # members of the mandat citoyen (none of these roles), secretariat
    "coordinator": frozenset({"secretariat", "admin"}),  # the inter-associatif's coordinators (referents of its
    # organisation: none of these roles) and the secretariat
    "self": frozenset({"secretariat", "admin"}),  # the conseil citoyen's member themselves (none of these roles) and
    # the secretariat
    "secretariat": frozenset({"secretariat", "admin"}),
    "admin": frozenset({"admin"}),
    "dev-admin": frozenset({"admin"}),  # administrators, under `make run` only (the caught mail): 404 elsewhere
}

GATEWAY = """
GET /healthz open
GET /readyz open
GET / public
GET /fragments/health public
GET /connexion public
POST /connexion visitor
POST /deconnexion public
GET /integrations public
GET /integrations/asyncapi.json public
GET /mot-de-passe-oublie public
POST /mot-de-passe-oublie public
GET /mot-de-passe/{token} token
POST /mot-de-passe/{token} token
GET /desabonnement/{token} token
POST /desabonnement/{token} token
GET /instances public
GET /instances/{body_id} public
GET /reunions public
GET /reunions/{meeting_id} member
GET /reunions/{meeting_id}/versions/{number} member
GET /documents/{document_id} public
GET /decisions public
GET /mes-engagements authenticated
GET /mes-engagements/{number:int}/modifier pilot
GET /mes-engagements/{number:int}/carte authenticated
GET /engagements public
GET /engagements/{number} authenticated
POST /engagements/{number}/parts/{organisation_id} pilot
GET /vue-d-ensemble authenticated
GET /vue-d-ensemble/export.xlsx authenticated
GET /vue-d-ensemble/export.csv authenticated
GET /indicateurs authenticated
GET /indicateurs/{indicator_id:int} authenticated
POST /indicateurs/{indicator_id:int}/valeurs pilot
POST /indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/soumettre organisation
POST /indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/approuver secretariat
POST /indicateurs/{indicator_id:int}/valeurs/{submission_id:int}/renvoyer secretariat
POST /indicateurs/{indicator_id:int}/definition pilot
GET /indicateurs/a-renseigner authenticated
GET /indicateurs/validation secretariat
POST /indicateurs/validation/approuver secretariat
POST /indicateurs/validation/renvoyer secretariat
GET /indicateurs/campagnes authenticated
POST /indicateurs/campagnes secretariat
POST /indicateurs/campagnes/{campaign_id:int}/clore secretariat
POST /indicateurs/campagnes/{campaign_id:int}/rouvrir secretariat
GET /indicateurs/import authenticated
POST /indicateurs/import authenticated
POST /indicateurs/import/{preview_id:int}/confirmer authenticated
GET /indicateurs/import/modele.xlsx referent
GET /indicateurs/import/modele.csv referent
GET /indicateurs/exports authenticated
GET /indicateurs/exports/valeurs.csv authenticated
GET /indicateurs/exports/valeurs.xlsx authenticated
GET /indicateurs/exports/valeurs.json authenticated
POST /instances/{body_id}/membres secretariat
POST /instances/{body_id}/mandats/{membership_id}/fin secretariat
POST /instances/{body_id}/personnes/{person_id}/retrait secretariat
POST /instances/{body_id}/nom secretariat
GET /mes-instances authenticated
POST /reunions secretariat
POST /reunions/{meeting_id}/deplacer secretariat
POST /reunions/{meeting_id}/annuler secretariat
POST /reunions/{meeting_id}/date-limite secretariat
GET /reunions/{meeting_id}/dossier member
GET /reunions/{meeting_id}/dossier.pdf member
POST /reunions/{meeting_id}/points secretariat
POST /reunions/{meeting_id}/points/{item_id} secretariat
POST /reunions/{meeting_id}/points/{item_id}/position secretariat
POST /reunions/{meeting_id}/points/{item_id}/retirer secretariat
POST /reunions/{meeting_id}/liens secretariat
POST /reunions/{meeting_id}/documents secretariat
POST /reunions/{meeting_id}/documents/{document_id}/retirer secretariat
POST /reunions/{meeting_id}/publier secretariat
POST /reunions/{meeting_id}/propositions seated
POST /reunions/{meeting_id}/propositions/{proposal_id} secretariat
POST /reunions/{meeting_id}/points/{item_id}/contribution contributor
POST /reunions/{meeting_id}/presences secretariat
POST /reunions/{meeting_id}/compte-rendu secretariat
POST /reunions/{meeting_id}/decisions secretariat
POST /decisions/{decision_id}/suivi pilot
GET /notifications authenticated
GET /notifications/non-lus authenticated
POST /notifications/{notice_id}/lu authenticated
POST /notifications/tout-lu authenticated
GET /notifications/flux authenticated
GET /notifications/preferences authenticated
POST /notifications/preferences authenticated
GET /admin/comptes admin
POST /admin/comptes admin
POST /admin/comptes/{account_id}/inviter admin
POST /admin/comptes/{account_id}/desactiver admin
POST /admin/comptes/{account_id}/reactiver admin
GET /admin/journal admin
GET /admin/courriels dev-admin
GET /admin/courriels/{key} dev-admin
GET /admin/courriels/{key}/html dev-admin
GET /admin/courriels/{key}/invitation.ics dev-admin
GET /admin/webhooks admin
POST /admin/webhooks admin
POST /admin/webhooks/avis/{notice_id}/lu admin
GET /admin/webhooks/{endpoint_id} admin
POST /admin/webhooks/{endpoint_id}/desactiver admin
POST /admin/webhooks/{endpoint_id}/reactiver admin
POST /admin/webhooks/{endpoint_id}/revalider admin
POST /admin/webhooks/{endpoint_id}/secret admin
POST /admin/webhooks/{endpoint_id}/supprimer admin
POST /admin/webhooks/{endpoint_id}/rejouer admin
GET /admin/webhooks/livraisons/{delivery_id} admin
POST /admin/webhooks/livraisons/{delivery_id}/renvoyer admin
GET /accueil authenticated
GET /portail public
GET /contrat/engagements public
GET /contrat/engagements/{number} public
GET /quartiers public
GET /quartiers/aller public
GET /quartiers/{qpv_id} public
GET /actualites public
GET /actualites.atom public
GET /actualites/{news_id} public
GET /ressources public
GET /donnees-ouvertes public
GET /donnees-ouvertes/datapackage.json public
GET /donnees-ouvertes/{name}.csv public
GET /donnees-ouvertes/{name}.json public
GET /admin/portail secretariat
POST /admin/portail/actualites secretariat
POST /admin/portail/actualites/{news_id}/retrait secretariat
POST /admin/portail/quartiers/{qpv_id} secretariat
GET /projets-finances public
GET /projets-finances/{year} public
GET /projets-finances/projet/{project_id} public
GET /donnees/projets-finances.{kind} public
GET /aap authenticated
POST /aap/appels secretariat
GET /aap/{year:int} funder
POST /aap/{year:int}/projets funder
POST /aap/{year:int}/import funder
POST /aap/{year:int}/import/{preview_id}/confirmer funder
GET /aap/projets/{project_id} funder
POST /aap/projets/{project_id} funder
POST /aap/projets/{project_id}/decision funder
POST /aap/projets/{project_id}/versement funder
GET /conseils-citoyens public
GET /conseils-citoyens/{body_id} public
POST /conseils-citoyens/rencontres secretariat
POST /conseils-citoyens/{body_id}/fiche secretariat
POST /conseils-citoyens/{body_id}/affichage/{membership_id} self
POST /conseils-citoyens/{body_id}/invitation/{membership_id} secretariat
GET /avis public
GET /avis/{opinion_id} public
GET /avis/pieces/{attachment_id} public
POST /avis resident
POST /avis/delai secretariat
POST /avis/{opinion_id}/reponse answerer
GET /inter-associatif public
GET /inter-associatif/candidater public
POST /inter-associatif/candidater public
GET /inter-associatif/confirmer/{token} token
POST /inter-associatif/confirmer/{token} token
GET /inter-associatif/candidatures coordinator
POST /inter-associatif/candidatures/{application_id}/decision coordinator
POST /inter-associatif/membres/{association_id}/sortie coordinator
GET /mandats public
POST /mandats secretariat
GET /mandats/{mandate_id} public
POST /mandats/{mandate_id}/etat secretariat
POST /mandats/{mandate_id}/membres secretariat
POST /mandats/{mandate_id}/membres/{member_id}/retrait secretariat
POST /mandats/{mandate_id}/constats mandated
POST /mandats/{mandate_id}/preconisations mandated
POST /mandats/{mandate_id}/preconisations/{recommendation_id}/reponse pilot
"""

# Every service also has `GET /healthz`, `/readyz`, `/openapi.json`, `/docs`, `/docs/oauth2-redirect`, `/redoc`
# (open) and `GET /audit` (admin): see COMMON.
COMMON = """
GET /healthz open
GET /readyz open
GET /openapi.json open
GET /docs open
GET /docs/oauth2-redirect open
GET /redoc open
GET /api/v1/state-version open
GET /audit admin
"""

SERVICES = {
    "engagements": """
PUT /api/v1/contracts/{contract_id} admin
GET /api/v1/contract public
GET /api/v1/axes public
GET /api/v1/engagements public
GET /api/v1/engagements/with-parts public
GET /api/v1/engagements/{number} public
GET /api/v1/public/engagements public
GET /api/v1/public/engagements/{number} public
PATCH /api/v1/engagements/{number}/parts/{organisation_id} pilot
""",
    "indicateurs": """
GET /api/v1/definitions public
GET /api/v1/definitions/{indicator_id} public
PATCH /api/v1/definitions/{indicator_id} secretariat
GET /api/v1/definitions/{indicator_id}/series public
GET /api/v1/latest-values public
GET /api/v1/qpv public
POST /api/v1/submissions organisation
GET /api/v1/submissions public
GET /api/v1/submissions/{submission_id} pilot
POST /api/v1/submissions/{submission_id}/submit organisation
POST /api/v1/submissions/{submission_id}/approve secretariat
POST /api/v1/submissions/{submission_id}/reject secretariat
GET /api/v1/validation-queue secretariat
POST /api/v1/submissions/approvals secretariat
POST /api/v1/imports referent
POST /api/v1/imports/previews referent
POST /api/v1/imports/previews/{preview_id}/confirm authenticated
GET /api/v1/imports/{import_id} authenticated
POST /api/v1/campaigns secretariat
GET /api/v1/campaigns public
GET /api/v1/campaigns/{campaign_id} authenticated
POST /api/v1/campaigns/{campaign_id}/close secretariat
POST /api/v1/campaigns/{campaign_id}/reopen secretariat
GET /api/v1/campaigns/{campaign_id}/todo authenticated
GET /api/v1/completeness partner
GET /api/v1/exports/schema public
GET /api/v1/exports/values.csv public
GET /api/v1/exports/values.xlsx public
GET /api/v1/exports/values.json public
""",
    "participation": """
PUT /api/v1/registry admin
GET /api/v1/organisations public
GET /api/v1/qpv public
GET /api/v1/bodies public
GET /api/v1/bodies/{body_id} public
PATCH /api/v1/bodies/{body_id} secretariat
POST /api/v1/bodies/{body_id}/members secretariat
POST /api/v1/memberships/{membership_id}/end secretariat
GET /api/v1/people secretariat
PATCH /api/v1/people/{person_id} secretariat
DELETE /api/v1/people/{person_id} secretariat
GET /api/v1/me public
GET /api/v1/lead-time-stats public
POST /api/v1/meetings secretariat
GET /api/v1/meetings public
GET /api/v1/meetings/{meeting_id} member
GET /api/v1/meetings/{meeting_id}/versions/{number} member
GET /api/v1/meetings/{meeting_id}/changes member
POST /api/v1/meetings/{meeting_id}/move secretariat
POST /api/v1/meetings/{meeting_id}/cancel secretariat
PUT /api/v1/meetings/{meeting_id}/cutoff secretariat
POST /api/v1/meetings/{meeting_id}/items secretariat
PUT /api/v1/meetings/{meeting_id}/items/{item_id} secretariat
POST /api/v1/meetings/{meeting_id}/items/{item_id}/move secretariat
POST /api/v1/meetings/{meeting_id}/items/{item_id}/remove secretariat
POST /api/v1/meetings/{meeting_id}/links secretariat
POST /api/v1/meetings/{meeting_id}/documents secretariat
POST /api/v1/meetings/{meeting_id}/documents/{document_id}/withdraw secretariat
GET /api/v1/documents/{document_id}/content public
POST /api/v1/meetings/{meeting_id}/publish secretariat
GET /api/v1/proposals secretariat
POST /api/v1/meetings/{meeting_id}/proposals seated
POST /api/v1/meetings/{meeting_id}/proposals/{proposal_id}/decision secretariat
PUT /api/v1/meetings/{meeting_id}/items/{item_id}/contribution contributor
PUT /api/v1/meetings/{meeting_id}/attendance secretariat
PUT /api/v1/meetings/{meeting_id}/minutes secretariat
POST /api/v1/meetings/{meeting_id}/decisions secretariat
GET /api/v1/decisions public
GET /api/v1/decisions/{decision_id} public
POST /api/v1/decisions/{decision_id}/follow-up pilot
GET /api/v1/meetings/{meeting_id}/pack member
GET /api/v1/meetings/{meeting_id}/pack.pdf member
PATCH /api/v1/qpv/{qpv_id} secretariat
GET /api/v1/aap/calls public
GET /api/v1/aap/calls/{year} public
PUT /api/v1/aap/calls/{year} secretariat
GET /api/v1/aap/themes public
GET /api/v1/aap/calls/{year}/projects funder
POST /api/v1/aap/calls/{year}/projects funder
GET /api/v1/aap/projects/{project_id} public
PUT /api/v1/aap/projects/{project_id} funder
PUT /api/v1/aap/projects/{project_id}/fundings/{funder_id} pilot
POST /api/v1/aap/projects/{project_id}/fundings/{funder_id}/payments pilot
POST /api/v1/aap/calls/{year}/imports pilot
POST /api/v1/aap/calls/{year}/imports/previews pilot
POST /api/v1/aap/imports/previews/{preview_id}/confirm authenticated
GET /api/v1/aap/funded/{year} public
GET /api/v1/aap/funded-projects public
POST /api/v1/applications public
POST /api/v1/applications/confirm token
GET /api/v1/applications coordinator
POST /api/v1/applications/{application_id}/decision coordinator
POST /api/v1/associations/{association_id}/end coordinator
GET /api/v1/associations public
GET /api/v1/conseils-citoyens public
GET /api/v1/conseils-citoyens/{body_id} public
PUT /api/v1/conseils-citoyens/{body_id} secretariat
PUT /api/v1/memberships/{membership_id}/display self
POST /api/v1/inter-conseils secretariat
GET /api/v1/conseils-citoyens-coverage public
POST /api/v1/conseils-citoyens-coverage secretariat
GET /api/v1/opinions public
GET /api/v1/opinions/{opinion_id} public
POST /api/v1/opinions resident
POST /api/v1/opinions/{opinion_id}/attachments resident
GET /api/v1/opinion-attachments/{attachment_id}/content public
POST /api/v1/opinions/{opinion_id}/answer answerer
GET /api/v1/opinion-rules public
PUT /api/v1/opinion-rules secretariat
GET /api/v1/opinion-targets public
GET /api/v1/news public
GET /api/v1/news/{news_id} public
POST /api/v1/news secretariat
PUT /api/v1/news/{news_id} secretariat
POST /api/v1/news/{news_id}/withdraw secretariat
GET /api/v1/mandates public
POST /api/v1/mandates secretariat
GET /api/v1/mandates/{mandate_id} public
PATCH /api/v1/mandates/{mandate_id} secretariat
POST /api/v1/mandates/{mandate_id}/members secretariat
POST /api/v1/mandates/{mandate_id}/members/{member_id}/remove secretariat
POST /api/v1/mandates/{mandate_id}/findings mandated
POST /api/v1/mandates/{mandate_id}/recommendations mandated
GET /api/v1/recommendations public
POST /api/v1/recommendations/{recommendation_id}/answer pilot
""",
    "notifications": """
GET /api/v1/activity public
GET /api/v1/meetings/{meeting_id}/deliveries secretariat
GET /api/v1/deliveries secretariat
GET /api/v1/notices public
GET /api/v1/notices/wait public
POST /api/v1/notices/{notice_id}/read authenticated
POST /api/v1/notices/read-all public
GET /api/v1/preferences public
PUT /api/v1/preferences public
GET /api/v1/unsubscribe/{token} token
POST /api/v1/unsubscribe token
PUT /api/v1/accounts/{user_id} admin
PUT /api/v1/accounts admin
POST /api/v1/account-mails admin
GET /api/v1/webhooks admin
POST /api/v1/webhooks admin
GET /api/v1/webhooks/notices admin
POST /api/v1/webhooks/notices/{notice_id}/dismiss admin
GET /api/v1/webhooks/deliveries/{delivery_id} admin
POST /api/v1/webhooks/deliveries/{delivery_id}/replay admin
GET /api/v1/webhooks/{endpoint_id} admin
DELETE /api/v1/webhooks/{endpoint_id} admin
POST /api/v1/webhooks/{endpoint_id}/validate admin
POST /api/v1/webhooks/{endpoint_id}/disable admin
POST /api/v1/webhooks/{endpoint_id}/enable admin
POST /api/v1/webhooks/{endpoint_id}/rotate-secret admin
GET /api/v1/webhooks/{endpoint_id}/deliveries admin
POST /api/v1/webhooks/{endpoint_id}/replay admin
""",
}


def parse(table: str) -> dict[tuple[str, str], str]:
    """`METHOD path policy` lines -> {(method, path): policy}; an unknown policy is an error."""
    out: dict[tuple[str, str], str] = {}
    for line in table.strip().splitlines():
        method, path, policy = line.split()
        assert policy in POLICIES, f"unknown policy {policy!r} in {line!r}"
        assert (method, path) not in out, f"two lines for {method} {path}"
        out[(method, path)] = policy
    return out
