"""What notifications consumes.

The feed reads every event type alike (a title or label, an actor, an organisation, whichever the event has),
so it takes the raw `event.data` dict rather than an `EventView`. Every other event type is read through the
view its aggregate declares.

- engagement and indicator public events go to the activity feed (any account reads it: the public view) and,
  by the same consumer and in the same transaction, to the webhooks' queue (`webhooks.py`): one fetch, one
  inbox row and one acknowledgement per event rather than two;
- participation's public stream (memberships, organisations, meetings, agendas, decisions), its internal
  stream (people's contact details, internal decisions) and indicateurs' streams (public: definitions,
  campaigns; internal: every step of a value, with who submitted it) feed the copies, the
  circulations, the notices and the reminders. One durable consumer per stream keeps each stream's order
  (a body's memberships are known before its agenda is circulated); each event type is read through the view
  its aggregate declares.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from kernel.consumer import Delivery, EventView, Subscription
from services.notifications import applicants, circulation, indicators, opinions, people, reminders, webhooks
from services.notifications.service import record_activity
from services.notifications.settings import Settings


async def on_event(delivery: Delivery) -> None:
    await record_activity(delivery.session, delivery.event)
    await webhooks.queue_event(delivery)


# One row per event, no commit of their own: under load, a fetch's events share one transaction.
SUBSCRIPTIONS = [
    Subscription(durable=f"notifications_feed_{name}", service=name, filter=f"cdv.{name}.>", handler=on_event,
                 batched=True) for name in webhooks.FEED_SERVICES
]

Route = tuple[type[EventView], Callable[[Delivery[Any], Any], Awaitable[Any]]]


def routed(routes: dict[str, Route]) -> Callable[[Delivery[Any]], Awaitable[None]]:
    """A handler for a whole stream: each type through its view and its function; other types are skipped."""

    async def handle(delivery: Delivery[Any]) -> None:
        route = routes.get(delivery.event.type)
        if route is not None:
            view, apply = route
            await apply(delivery, view.model_validate(delivery.event.data))

    return handle


def event_subscriptions(settings: Settings) -> list[Subscription]:
    """The consumers behind e-mails, notices and reminders (they need the settings: links, domain, delays)."""
    s = settings

    async def membership(d: Delivery[Any], v: people.MembershipView) -> None:
        await people.upsert_membership(d.session, membership_id=v.membership_id, body_id=v.body_id,
                                       member_id=v.member_id, organisation_id=v.organisation_id, seat=v.seat,
                                       starts_on=v.starts_on, ends_on=v.ends_on, active=v.active)

    async def organisation(d: Delivery[Any], v: people.OrganisationView) -> None:
        await people.upsert_organisation(d.session, organisation_id=v.organisation_id, name=v.name,
                                         short_name=v.short_name)

    async def person(d: Delivery[Any], v: people.PersonView) -> None:
        await people.upsert_person(d.session, member_id=v.member_id, name=v.name, email=v.email,
                                   user_id=v.account_id or (str(v.user_id) if v.user_id is not None else None),
                                   anonymised=v.anonymised)

    async def planned(d: Delivery[Any], v: circulation.MeetingScheduled | circulation.MeetingMoved) -> None:
        if isinstance(v, circulation.MeetingMoved):
            await circulation.moved(d.session, d.event, v, s)
        await reminders.meeting_planned(d.session, meeting=v.meeting.model_dump(mode="json"),
                                        agenda_due_on=v.agenda_due_on, settings=s)

    async def agenda(d: Delivery[Any], v: circulation.AgendaCirculated) -> None:
        await circulation.agenda(d.session, d.event, v, s)
        await reminders.cancel(d.session, f"meeting:{v.meeting.meeting_id}", kinds=("agenda_due", "proposals"))

    async def cancelled(d: Delivery[Any], v: circulation.MeetingCancelled) -> None:
        await circulation.cancelled(d.session, d.event, v, s)
        await reminders.cancel(d.session, f"meeting:{v.meeting.meeting_id}")

    async def decision(d: Delivery[Any], v: reminders.DecisionView) -> None:
        await reminders.decision_followed(d.session, decision=v.model_dump(mode="json"), settings=s)

    async def recommended(d: Delivery[Any], v: reminders.RecommendationView) -> None:
        await reminders.recommendation_owed(d.session, recommendation=v.model_dump(mode="json"), settings=s)

    async def answered(d: Delivery[Any], v: reminders.RecommendationAnsweredView) -> None:
        await reminders.cancel(d.session, f"recommendation:{v.recommendation_id}")

    async def definition(d: Delivery[Any], v: indicators.DefinitionView) -> None:
        await indicators.definition_defined(d.session, v)

    async def value(d: Delivery[Any], v: indicators.SubmissionView) -> None:
        await indicators.value_changed(d.session, v)

    async def decided(d: Delivery[Any], v: indicators.SubmissionView) -> None:
        await indicators.value_decided(d.session, d.event, v, s)

    async def opened(d: Delivery[Any], v: indicators.CampaignView) -> None:
        await indicators.campaign_opened(d.session, d.event, v, s, reopened=".reopened" in d.event.type)

    async def closed(d: Delivery[Any], v: indicators.CampaignView) -> None:
        await indicators.campaign_closed(d.session, v)

    p, i, ii = "cdv.participation.", "cdv.indicateurs.", "cdv.indicateurs-internal."
    participation: dict[str, Route] = {
        p + "organisation.registered": (people.OrganisationView, organisation),
        p + "membership.changed": (people.MembershipView, membership),
        p + "meeting.scheduled": (circulation.MeetingScheduled, planned),
        p + "meeting.moved": (circulation.MeetingMoved, planned),
        p + "meeting.agenda_published": (circulation.AgendaCirculated, agenda),
        p + "meeting.agenda_revised": (circulation.AgendaCirculated, agenda),
        p + "meeting.cancelled": (circulation.MeetingCancelled, cancelled),
        p + "meeting.minutes_published": (circulation.MinutesPublished,
                                          lambda d, v: circulation.minutes(d.session, d.event, v, s)),
        p + "agenda_item.decided": (circulation.AgendaItemDecided,
                                    lambda d, v: circulation.proposal_decided(d.session, d.event, v, s)),
        p + "decision.recorded": (reminders.DecisionView, decision),
        p + "decision.follow_up_updated": (reminders.DecisionView, decision),
        p + "recommendation.published": (reminders.RecommendationView, recommended),
        p + "recommendation.answered": (reminders.RecommendationAnsweredView, answered),
        p + "opinion.published": (opinions.OpinionPublishedView,
                                  lambda d, v: opinions.published(d.session, d.event, v, s)),
        p + "opinion.answered": (opinions.OpinionAnsweredView,
                                 lambda d, v: opinions.answered(d.session, d.event, v, s)),
    }
    internal: dict[str, Route] = {
        "cdv.participation-internal.person.changed": (people.PersonView, person),
        "cdv.participation-internal.decision.recorded": (reminders.DecisionView, decision),
        "cdv.participation-internal.decision.follow_up_updated": (reminders.DecisionView, decision),
        "cdv.participation-internal.application.confirmation_requested": (
            applicants.ConfirmationView, lambda d, v: applicants.confirmation_requested(d.session, d.event.id, v, s)),
        "cdv.participation-internal.application.answered": (
            applicants.AnsweredView, lambda d, v: applicants.answered(d.session, d.event.id, v, s)),
    }
    indicateurs: dict[str, Route] = {
        i + "definition.defined_v2": (indicators.DefinitionView, definition),
        i + "campaign.opened_v2": (indicators.CampaignView, opened),
        i + "campaign.reopened_v2": (indicators.CampaignView, opened),
        i + "campaign.closed_v2": (indicators.CampaignView, closed),
    }
    values: dict[str, Route] = {
        ii + "submission.recorded": (indicators.SubmissionView, value),
        ii + "submission.corrected": (indicators.SubmissionView, value),
        ii + "submission.submitted": (indicators.SubmissionView, value),
        ii + "submission.validated": (indicators.SubmissionView, decided),
        ii + "submission.rejected": (indicators.SubmissionView, decided),
    }
    return [
        Subscription(durable="notifications_participation", service="participation", filter="cdv.participation.>",
                     handler=routed(participation)),
        Subscription(durable="notifications_participation_internal", service="participation-internal",
                     filter="cdv.participation-internal.>", handler=routed(internal)),
        Subscription(durable="notifications_indicateurs", service="indicateurs", filter="cdv.indicateurs.>",
                     handler=routed(indicateurs)),
        Subscription(durable="notifications_indicateurs_internal", service="indicateurs-internal",
                     filter="cdv.indicateurs-internal.>", handler=routed(values)),
    ]
