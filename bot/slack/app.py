"""The Bolt app: every listener acknowledges first, and slow work runs after, in Bolt's listener thread.

With `process_before_response=False` Bolt answers Slack as soon as `ack()` is called (events are
acked before the listener runs), so storing, posting and summarising never count against Slack's
three seconds. A message event is first written to the inbox (`transcripts.slack_stores`, one insert,
committed) and only then acked - Slack never sends an event again once it has had its 200, so one held
only in memory would be lost with the process. This process never stores them: another takes them out
of the inbox in the transaction that stores them (`bot.slack.storing`) - by default this process's
store process (`bot.slack.store_process`), a child it starts and wakes after each ack, or with
SLACK_STORE_IN_WORKER the leading `huddlebot worker`. Storing in this process, even in a thread,
took the interpreter from the thread that acks. Re-deliveries (`X-Slack-Retry-Num`) are one inbox row
while the first is there, and stored once after: messages are unique per (platform, platform_id).
"""

from __future__ import annotations

import json
import logging
import os
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions
from slack_sdk import WebClient

from bot.escalation.levels import set_level, team
from bot.escalation.sbar import acknowledge, escalate_further, raise_escalation, resolve, what_happened
from bot.huddles import flow, safety, sessions
from bot.platforms import slack as slack_adapter
from bot.platforms.slack import SlackPlatform
from bot.slack import blocks
from bot.slack.blocks import fit
from bot.slack.home import home_view
from bot.slack.install import installation_store, oauth_settings
from bot.slack.store_process import StoreProcess
from bot.slack.tokens import base_url, web_client
from config.huddle_definition import HuddleDefinition, load_huddle_definition
from config.settings import Settings
from transcripts import patient_identifiers
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.models import Escalation, Event, utcnow
from transcripts.patient_identifiers import Finding
from transcripts.slack_stores import SlackInbox

log = logging.getLogger(__name__)
LISTENER_WORKERS = 2
# VERIFIED_UPSTREAM: requests reach this app only through `bot.web.slack_routes`, which checks each
# body's size and Slack signature before anything parses it, or over Socket Mode's own connection,
# which carries no signature. Bolt checking the same signature again was work on the ack path.
BOLT_OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
CLOSE_LOOP_ASKS = {
    "readback": "Say what you understood and what you will do.",
    "outcome": "Say what was done and what happens next.",
}
WARD_SAFETY_HUDDLE = Path(__file__).parents[2] / "config" / "huddles" / "ward-safety-huddle.yaml"
# Each app's store process, for `stop_storing`; an app dropped without it takes its own with it.
_STORE_PROCESSES: weakref.WeakKeyDictionary[App, StoreProcess] = weakref.WeakKeyDictionary()


def build_bolt_app(
    settings: Settings, db: Database, install_pages: CallbackOptions | None = None, *, socket_mode: bool = False
) -> App:
    """The app for `/slack/events`, or with `socket_mode` for Slack's websocket, where requests arrive on a
    connection opened with the app-level token and carry no signature, so no signing secret is needed."""
    if settings.slack_signing_secret is None and not socket_mode:
        raise RecordError("SLACK_SIGNING_SECRET", "is required to verify requests from Slack")
    # Few workers for the work after the ack: more threads only fight the acknowledging thread for the GIL.
    executor = ThreadPoolExecutor(max_workers=LISTENER_WORKERS, thread_name_prefix="slack-listener")
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if settings.slack_multi_workspace:
        # Bolt finds each request's workspace token in the installation store and hands listeners a
        # client carrying it; this token-less client only gives that client SLACK_API_URL.
        client = WebClient(base_url=base_url(settings))
        app = App(
            signing_secret=signing_secret,
            request_verification_enabled=False,  # see VERIFIED_UPSTREAM
            client=client,
            oauth_settings=oauth_settings(settings, db, install_pages),
            # The store is read on every request (an uninstalled workspace is refused at once); what
            # Slack's auth.test said about a token is remembered, rather than asked before every ack.
            authorize=InstallationStoreAuthorize(
                logger=log,
                installation_store=installation_store(settings, db.engine),
                bot_only=True,
                cache_enabled=True,
                client=client,
            ),
            process_before_response=False,
            listener_executor=executor,
        )
        # Uninstalling (or revoking the token) deletes that workspace's tokens from the store at once.
        app.enable_token_revocation_listeners()
    else:
        with _hidden_from_bolt(BOLT_OAUTH_VARIABLES):
            app = App(
                signing_secret=signing_secret,
                request_verification_enabled=False,  # see VERIFIED_UPSTREAM
                client=web_client(settings),  # carries the token (and SLACK_API_URL) for every listener
                token_verification_enabled=False,
                process_before_response=False,
                listener_executor=executor,
            )
    single_workspace = not settings.slack_multi_workspace

    inbox = SlackInbox(db)
    storer: StoreProcess | None = None
    if not settings.slack_store_in_worker:  # else `huddlebot worker` stores them (bot.worker)
        storer = StoreProcess(settings, db, start_delay=settings.slack_recorder_start_delay_seconds)
        storer.start_if_waiting(db)  # what an earlier process acked and did not store
        _STORE_PROCESSES[app] = storer

    def keep_and_ack(req: BoltRequest, body: dict[str, Any]) -> BoltResponse:
        """Bolt runs this as it matches a message event: written to the inbox and acked here, so no
        listener thread is woken only to hand it on; the store process (or the worker) stores it after the ack.
        If the database does not take it, Slack is not told 200 (over Socket Mode: not acked) and sends it again."""
        raw = req.raw_body or json.dumps(body)  # Socket Mode hands Bolt the parsed payload only
        try:
            inbox.add(body.get("event_id"), body.get("team_id"), raw)
        except Exception:
            log.exception("a Slack message event could not be kept; it is refused, so Slack sends it again")
            return BoltResponse(status=503, body="")
        if storer is not None:
            storer.wake()
        return BoltResponse(status=200, body="")

    @app.event("message", middleware=[keep_and_ack])
    def on_message() -> None:
        """Never runs: the middleware acks instead (Bolt needs a listener to match the event to)."""

    @app.action("withheld_remove")
    def on_withheld_remove(ack: Ack, body: dict[str, Any], respond: Any) -> None:
        ack()
        message_id = str(body["actions"][0]["value"])
        removed = sessions.record_delete(db, message_id, author=body["user"]["id"])
        respond(
            response_type="ephemeral", replace_original=True,
            text="Removed from huddlebot's record. Please delete it in Slack too (More actions → Delete message)."
            if removed else "Only the person who wrote that reply can remove it.",
        )  # fmt: skip

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab", "home") == "home":
            SlackPlatform(client).publish_home(
                event["user"], home_view(db, context.team_id, single_workspace=single_workspace)
            )

    @app.action("huddle_answer")
    def on_answer_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        event_id = int(body["actions"][0]["value"])
        with db.session() as s:
            event = s.get(Event, event_id)
            prompts = [p.text for p in event.prompts if p.kind == "question"] if event else []
            title = event.title if event else "Huddle"
        SlackPlatform(client).open_view(body["trigger_id"], blocks.answer_modal(title, prompts, event_id))

    @app.view("huddle_answers")
    def on_answers(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        event_id = int(view["private_metadata"])
        with db.session() as s:
            event = s.get(Event, event_id)
            channel = (event.channel or "") if event else ""
        answers = slack_adapter.form_answers(view, body["user"]["id"], channel, utcnow())
        errors = {
            f"p{number}": fit(patient_identifiers.describe(found), 2000)
            for number, message in answers
            if (found := patient_identifiers.find(message.text))
        }
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        sessions.record_form(db, event_id, answers)

    @app.command("/escalate")
    def on_escalate(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        with db.session() as s:
            levels = team(s, command["channel_id"]).levels
        view = blocks.sbar_modal(levels, command["channel_id"], command.get("text", ""))
        SlackPlatform(client).open_view(command["trigger_id"], view)

    @app.shortcut("escalate_message")
    def on_escalate_message(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        channel = shortcut["channel"]["id"]
        with db.session() as s:
            levels = team(s, channel).levels
        link = f"Re message {shortcut['message'].get('ts')} in <#{channel}>"
        SlackPlatform(client).open_view(shortcut["trigger_id"], blocks.sbar_modal(levels, channel, link))

    @app.view("sbar")
    def on_sbar(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        sbar = {key: (values.get(key, {}).get(key, {}).get("value") or "").strip() for key, _, _ in blocks.SBAR_FIELDS}
        summary = (values.get("summary", {}).get("summary", {}).get("value") or "").strip()
        confirmed = bool((values.get(blocks.CONFIRM_BLOCK, {}).get(blocks.CONFIRM_BLOCK) or {}).get("selected_options"))
        errors, found = sbar_errors({**sbar, "summary": summary}, confirmed=confirmed)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        level = int(values["level"]["level"]["selected_option"]["value"])
        raise_escalation(
            db,
            SlackPlatform(client),
            team_channel=view["private_metadata"],
            raised_by=body["user"]["id"],
            level=level,
            sbar=sbar,
            summary=summary,
            workspace=(body.get("team") or {}).get("id"),
            identifiers_confirmed=sorted({f.kind for f in found}),
        )

    def _open_step(body: dict[str, Any], client: WebClient, respond: Any, step: str, still: tuple[str, ...]) -> None:
        """A button on an escalation: the read-back or outcome form if it is still in a state for that step,
        else who got there first."""
        escalation_id = int(body["actions"][0]["value"])
        with db.session() as s:
            row = s.get(Escalation, escalation_id)
            status = row.status if row else None
        if status in still:
            SlackPlatform(client).open_view(body["trigger_id"], blocks.close_loop_modal(escalation_id, step))
        else:
            respond(response_type="ephemeral", replace_original=False, text=what_happened(db, escalation_id))

    @app.action("escalation_ack")
    def on_ack(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        _open_step(body, client, respond, "readback", ("open",))

    @app.action("escalation_resolve")
    def on_resolve(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        _open_step(body, client, respond, "outcome", ("open", "acknowledged"))

    def _close_step(step: str, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """The read-back or outcome form: one required line, then the step it completes."""
        said = (view["state"]["values"].get(step, {}).get(step, {}).get("value") or "").strip()
        if not said:
            ack(response_action="errors", errors={step: CLOSE_LOOP_ASKS[step]})
            return
        ack()
        escalation_id, user, slack = int(view["private_metadata"]), body["user"]["id"], SlackPlatform(client)
        if step == "readback":
            acknowledge(db, slack, escalation_id, user, readback=said)
        else:
            resolve(db, slack, escalation_id, user, outcome=said)

    @app.view("escalation_readback")
    def on_readback(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _close_step("readback", ack, body, view, client)

    @app.view("escalation_outcome")
    def on_outcome(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _close_step("outcome", ack, body, view, client)

    @app.action("escalation_further")
    def on_further(ack: Ack, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        escalation_id = int(body["actions"][0]["value"])
        slack = SlackPlatform(client)
        moved = escalate_further(db, lambda _workspace: slack, escalation_id, body["user"]["id"])
        text = "Escalated further: the next contact has it." if moved else what_happened(db, escalation_id)
        respond(response_type="ephemeral", replace_original=False, text=text)

    @app.action("action_done")
    def on_action_done(ack: Ack, body: dict[str, Any], respond: Any) -> None:
        ack()
        with db.session() as s:
            said = safety.close_action(s, int(body["actions"][0]["value"]), body["user"]["id"])
        respond(response_type="ephemeral", replace_original=False, text=said)

    @app.shortcut("huddle_action")
    def on_make_action(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        what = (shortcut.get("message") or {}).get("text") or ""
        SlackPlatform(client).open_view(shortcut["trigger_id"], blocks.action_modal(shortcut["channel"]["id"], what))

    @app.view("huddle_action")
    def on_action(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        what = (values["what"]["what"].get("value") or "").strip()
        owner = values["owner"]["owner"].get("selected_user")
        due = values["due"]["due"].get("selected_date")
        found = patient_identifiers.find(what)
        errors = {
            **({"what": fit(patient_identifiers.describe(found), 2000)} if found else {}),
            **({} if what else {"what": "Say what needs doing."}),
            **({} if owner else {"owner": "Who will do it?"}),
            **({} if due else {"due": "By when?"}),
        }
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        channel = view["private_metadata"]
        with db.session() as s:
            the_team = team(s, channel)
            zone = the_team.definition.timezone if the_team.definition else "Europe/London"
            safety.add_action(
                s, team_channel=channel, what=what, owner=owner, created_by=body["user"]["id"],
                due_at=safety.due_at_end_of(date.fromisoformat(due), zone),
                workspace=(body.get("team") or {}).get("id"),
            )  # fmt: skip

    @app.command("/huddle")
    def on_huddle(ack: Ack, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        words = (command.get("text") or "").split()
        if words[:1] == ["harm"]:
            ack()
            said = _record_harm(db, SlackPlatform(client), command, " ".join(words[1:]))
            respond(response_type="ephemeral", text=said)
        elif words[:1] == ["now"]:
            ack("Calling a huddle now.")
            _huddle_now(db, SlackPlatform(client), command)
        elif words[:1] == ["level"] and len(words) >= 2 and words[1].isdigit():
            ack()
            try:
                set_level(
                    db,
                    SlackPlatform(client),
                    team_channel=command["channel_id"],
                    level=int(words[1]),
                    set_by=command["user_id"],
                    reason=" ".join(words[2:]),
                    workspace=command.get("team_id"),
                )
            except RecordError as exc:
                respond(str(exc))
        else:
            ack(
                "Use `/huddle now` to call a huddle, `/huddle level N why` to set the escalation level, "
                "or `/huddle harm <kind>` to record a harm."
            )

    return app


def stop_storing(app: App) -> None:
    """The server of `app` has shut down: its store process (if any) finishes its batch and ends."""
    storer = _STORE_PROCESSES.pop(app, None)
    if storer is not None:
        storer.close()


def _record_harm(db: Database, slack: SlackPlatform, command: dict[str, Any], kind: str) -> str:
    """A harm recorded from the channel; the team sees it, since the tally starts again for everyone."""
    channel = command["channel_id"]
    with db.session() as s:
        definition = team(s, channel).definition
        if definition is None:
            return "This channel has no huddle, so there is no harm tally to add to."
        try:
            recorded = safety.record_harm(
                s, definition, kind=kind, recorded_by=command["user_id"], workspace=command.get("team_id")
            )
        except ValueError as exc:
            return f"Not recorded: {exc}."
    slack.say(channel, f"<@{command['user_id']}> recorded a harm: {recorded}. The days-since tally starts again.")
    return f"Recorded: {recorded}."


def sbar_errors(fields: dict[str, str], *, confirmed: bool) -> tuple[dict[str, str], list[Finding]]:
    """Field errors for an SBAR form: the two fields an escalation cannot do without, and patient
    identifiers unless the person confirmed (one click) that safety needs them; and what was found."""
    errors = {}
    if not fields.get("situation"):
        errors["situation"] = "Say what is happening now."
    if not fields.get("recommendation"):
        errors["recommendation"] = "Say what you need, from whom, by when: the clear ask."
    found: list[Finding] = []
    for key, text in fields.items():
        findings = patient_identifiers.find(text)
        found += findings
        if findings and not confirmed:
            advice = f"{patient_identifiers.describe(findings)} Or tick '{blocks.CONFIRM_TEXT}'."
            errors.setdefault(key, fit(advice, 2000))
    return errors, found


@contextmanager
def _hidden_from_bolt(names: tuple[str, ...]) -> Iterator[None]:
    """Bolt switches itself to OAuth (with a file store under $HOME, ignoring the bot token) whenever
    SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are in the process environment. With a single bot token
    they are there only for Sign in with Slack, so Bolt must not see them while it is built. The app
    is built once, at start-up, before any other thread reads the environment."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _huddle_now(db: Database, slack: SlackPlatform, command: dict[str, Any]) -> None:
    """An extra huddle at once, with the channel's usual questions (or the ward safety ones if it has none)."""
    channel = command["channel_id"]
    with db.session() as s:
        the_team = team(s, channel)
    definition = the_team.definition
    if definition is None:
        definition = load_huddle_definition(WARD_SAFETY_HUDDLE)
        definition = HuddleDefinition.model_validate({**definition.model_dump(), "channel": channel, "members": []})
    flow.open_huddle(
        db, slack, definition, definition_id=the_team.definition_id, channel=channel, workspace=command.get("team_id")
    )
