"""Block Kit for huddles, escalations and the Home tab, built with slack_sdk's models.

The models check Slack's own limits (a section's 3,000 characters, a header's 150, a modal title's
24) when the payload is built, so a long answer or team name is cut here, in `fit`, where we choose
how, rather than refused by Slack at 07:30 with nobody noticing. Every user text goes out as
plain_text or escaped mrkdwn.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.huddles.safety import HarmTally, OpenAction
from config.huddle_definition import NO_PATIENT_DATA, EscalationLevel

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
LABEL_LIMIT = 2000
TITLE_LIMIT = 24
OPTION_LIMIT = 75
HOME_BLOCKS_LIMIT = 100

# A clear ask is half of an escalation: without it nobody knows what would resolve it.
SBAR_REQUIRED = ("situation", "recommendation")
CONFIRM_BLOCK = "confirm_identifiers"
CONFIRM_TEXT = "Send anyway: safety needs these patient details"
SBAR_FIELDS = (
    ("situation", "Situation", "What is happening now?"),
    ("background", "Background", "What led up to it?"),
    ("assessment", "Assessment", "What do you think the problem is?"),
    ("recommendation", "Recommendation", "What do you need, and by when?"),
)


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: without it a reply could ping @channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """`text` within a Block Kit limit, cut with an ellipsis that says it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=fit(mrkdwn, SECTION_LIMIT)))


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=fit(text, HEADER_LIMIT)))


def _plain(text: str, limit: int = LABEL_LIMIT) -> PlainTextObject:
    return PlainTextObject(text=fit(text, limit))


def _warning() -> ContextBlock:
    return ContextBlock(elements=[PlainTextObject(text=NO_PATIENT_DATA)])


def huddle_opening(
    title: str,
    prompts: Sequence[str],
    event_id: int,
    closes: str,
    level: str,
    follow_up: Sequence[OpenAction] = (),
    harm: Sequence[HarmTally] = (),
) -> list[Block]:
    lines = "\n".join(f"*{i}.* {escape(p)}" for i, p in enumerate(prompts, 1))
    review = "" if "out of date" not in level and "not set" not in level else " Set it with `/huddle level N why`."
    return [
        header(title),
        *_follow_up(follow_up),
        section(f"*Escalation level:* {escape(level)}.{review}"),
        *([section(harm_line(harm))] if harm else []),
        section(lines),
        section(
            "Answer with the button, or reply in this thread starting with the number (`2: ...`). "
            f"Closes {closes}."
        ),
        ContextBlock(elements=[MarkdownTextObject(text=f":warning: {NO_PATIENT_DATA}")]),
        ActionsBlock(
            elements=[
                ButtonElement(
                    action_id="huddle_answer", style="primary", text=_plain("Answer"), value=str(event_id)
                )
            ]
        ),
    ]


def _follow_up(actions: Sequence[OpenAction]) -> list[Block]:
    """Yesterday's open actions come first: a huddle follows up before it looks ahead."""
    if not actions:
        return []
    out: list[Block] = [section(f"*Follow up ({len(actions)} open):*")]
    for a in actions[:20]:
        late = " *overdue*" if a.overdue else ""
        out.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=fit(f"{escape(a.what)} - <@{a.owner}>, due {a.due_at:%d %b %H:%M} UTC{late}", SECTION_LIMIT)
                ),
                accessory=ButtonElement(action_id="action_done", text=_plain("Done"), value=str(a.id)),
            )
        )
    return out


def harm_line(tallies: Sequence[HarmTally]) -> str:
    known = [f"{escape(t.kind)}: {t.days}" for t in tallies if t.days is not None]
    unknown = [escape(t.kind) for t in tallies if t.days is None]
    parts = [f"*Days since the last harm* - {', '.join(known)}" if known else "*Days since the last harm*"]
    if unknown:
        parts.append(f"(none recorded yet: {', '.join(unknown)})")
    return " ".join(parts) + ". Record one with `/huddle harm <kind>`."


def action_modal(team_channel: str, what: str) -> View:
    return View(
        type="modal",
        callback_id="huddle_action",
        private_metadata=team_channel,
        title=_plain("New action", TITLE_LIMIT),
        submit=_plain("Save"),
        blocks=[
            _warning(),
            InputBlock(
                block_id="what", label=_plain("What needs doing"),
                element=PlainTextInputElement(action_id="what", initial_value=fit(what, 500) or None, max_length=500),
            ),
            InputBlock(block_id="owner", label=_plain("Owner"), element=UserSelectElement(action_id="owner")),
            InputBlock(block_id="due", label=_plain("Due by the end of"), element=DatePickerElement(action_id="due")),
        ],
    )  # fmt: skip


def answer_modal(title: str, prompts: Sequence[str], event_id: int) -> View:
    blocks: list[Block] = [_warning()]
    for i, prompt in enumerate(prompts, 1):
        blocks.append(
            InputBlock(
                block_id=f"p{i}",
                optional=True,
                label=_plain(f"{i}. {prompt}"),
                element=PlainTextInputElement(action_id="answer", multiline=True, max_length=2000),
            )
        )
    return View(
        type="modal",
        callback_id="huddle_answers",
        private_metadata=str(event_id),
        title=_plain(title, TITLE_LIMIT),
        submit=_plain("Send"),
        blocks=blocks,
    )


def sbar_modal(levels: Sequence[EscalationLevel], metadata: str, situation: str = "") -> View:
    blocks: list[Block] = [_warning()]
    for key, label, hint in SBAR_FIELDS:
        blocks.append(
            InputBlock(
                block_id=key,
                optional=key not in SBAR_REQUIRED,
                label=_plain(label),
                element=PlainTextInputElement(
                    action_id=key,
                    multiline=True,
                    placeholder=_plain(hint, 150),
                    initial_value=fit(situation, SECTION_LIMIT) if key == "situation" and situation else None,
                ),
            )
        )
    options = [Option(text=_plain(f"{lv.number} - {lv.name}", OPTION_LIMIT), value=str(lv.number)) for lv in levels]
    blocks.append(
        InputBlock(
            block_id="level",
            label=_plain("Level"),
            element=StaticSelectElement(action_id="level", options=options, initial_option=options[0]),
        )
    )
    blocks.append(
        InputBlock(
            block_id="summary",
            optional=True,
            label=_plain("Summary without patient details (shown on the Home tab)"),
            element=PlainTextInputElement(action_id="summary", max_length=300),
        )
    )
    blocks.append(
        InputBlock(
            block_id=CONFIRM_BLOCK,
            optional=True,
            label=_plain("Patient details"),
            element=CheckboxesElement(
                action_id=CONFIRM_BLOCK,
                options=[Option(text=_plain(CONFIRM_TEXT, OPTION_LIMIT), value="confirmed")],
            ),
        )
    )
    return View(
        type="modal",
        callback_id="sbar",
        private_metadata=metadata,
        title=_plain("Escalate (SBAR)", TITLE_LIMIT),
        submit=_plain("Escalate"),
        blocks=blocks,
    )


def withheld_warning(reason: str, message_id: str) -> list[Block]:
    """What the author of a withheld reply sees, and only they: why, and a button to take it out of the record."""
    return [
        section(f":warning: Your reply was kept out of the huddle summary. {escape(reason)}"),
        section("Please delete it in Slack (More actions → Delete message), or edit it to leave the details out."),
        ActionsBlock(
            elements=[
                ButtonElement(
                    action_id="withheld_remove", style="danger", text=_plain("Remove it from huddlebot"),
                    value=message_id,
                )
            ]
        ),
    ]  # fmt: skip


def escalation_message(
    escalation_id: int, level: EscalationLevel, raised_by: str, sbar: dict[str, str], status: str, note: str = ""
) -> list[Block]:
    body = "\n".join(f"*{label}:* {escape(sbar.get(key) or '-')}" for key, label, _ in SBAR_FIELDS)
    blocks: list[Block] = [
        section(
            f":rotating_light: *Escalation #{escalation_id} - level {level.number} ({escape(level.name)})* "
            f"raised by <@{raised_by}>. Acknowledge within {level.response}."
        ),
        section(body),
        ContextBlock(elements=[MarkdownTextObject(text=f"Status: *{status}*{(' - ' + note) if note else ''}")]),
    ]
    if status != "resolved":
        buttons = []
        if status == "open":
            buttons.append(
                ButtonElement(
                    action_id="escalation_ack", text=_plain("Acknowledge"), value=str(escalation_id), style="primary"
                )
            )
        buttons.append(ButtonElement(action_id="escalation_resolve", text=_plain("Resolve"), value=str(escalation_id)))
        blocks.append(ActionsBlock(elements=buttons))
    return blocks


def raiser_update(escalation_id: int, text: str, *, can_push: bool) -> list[Block]:
    blocks: list[Block] = [section(text)]
    if can_push:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        action_id="escalation_further", text=_plain("Not satisfied - escalate further"),
                        value=str(escalation_id),
                    )
                ]
            )
        )  # fmt: skip
    return blocks


def close_loop_modal(escalation_id: int, step: str) -> View:
    """Acknowledging asks for a read-back; resolving asks for the outcome. One line each, required."""
    label, hint = (
        ("Read-back", "What you understood, and what you will do")
        if step == "readback"
        else ("Outcome", "What was done, and what happens next")
    )
    return View(
        type="modal",
        callback_id=f"escalation_{step}",
        private_metadata=str(escalation_id),
        title=_plain(f"Escalation #{escalation_id}", TITLE_LIMIT),
        submit=_plain("Acknowledge" if step == "readback" else "Resolve"),
        blocks=[
            _warning(),
            InputBlock(
                block_id=step, label=_plain(label),
                element=PlainTextInputElement(action_id=step, placeholder=_plain(hint, 150), max_length=500),
            ),
        ],
    )  # fmt: skip


def level_text(level: EscalationLevel, set_by: str, reason: str) -> str:
    actions = "\n".join(f"- {escape(a)}" for a in level.actions)
    triggers = "".join(f"\n- {escape(t)}" for t in level.triggers)
    why = f" because: {escape(reason)}" if reason else ""
    return (
        f":vertical_traffic_light: Escalation level is now *{level.number} - {escape(level.name)}* "
        f"(set by <@{set_by}>{why}).\n{escape(level.meaning)}"
        + (f"\n*Triggers:*{triggers}" if triggers else "")
        + f"\n*Agreed actions:*\n{actions}"
    )


def home(blocks: Sequence[Block]) -> View:
    return View(type="home", blocks=list(blocks)[:HOME_BLOCKS_LIMIT])
