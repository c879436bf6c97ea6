"""Block Kit for huddles, escalations and the Home tab. Every user text goes out as plain_text or escaped mrkdwn."""

from __future__ import annotations

from typing import Any

from config.huddle_definition import EscalationLevel

NO_PATIENT_DATA = "Please do not post patient-identifiable information: use bed or bay, never names or numbers."


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: without it a reply could ping @channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def huddle_opening(title: str, prompts: list[str], event_id: int, closes: str) -> list[dict[str, Any]]:
    lines = "\n".join(f"*{i}.* {escape(p)}" for i, p in enumerate(prompts, 1))
    return [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        _section(lines),
        _section(
            f"Answer with the button, or reply in this thread starting with the number (`2: ...`). Closes {closes}."
        ),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f":warning: {NO_PATIENT_DATA}"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "huddle_answer",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Answer"},
                    "value": str(event_id),
                }
            ],
        },
    ]


def answer_modal(title: str, prompts: list[str], event_id: int) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "context", "elements": [{"type": "plain_text", "text": NO_PATIENT_DATA}]}]
    for i, prompt in enumerate(prompts, 1):
        blocks.append(
            {
                "type": "input",
                "block_id": f"p{i}",
                "optional": True,
                "label": {"type": "plain_text", "text": f"{i}. {prompt}"[:2000]},
                "element": {"type": "plain_text_input", "action_id": "answer", "multiline": True, "max_length": 2000},
            }
        )
    return {
        "type": "modal",
        "callback_id": "huddle_answers",
        "private_metadata": str(event_id),
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": blocks,
    }


SBAR_FIELDS = (
    ("situation", "Situation", "What is happening now?"),
    ("background", "Background", "What led up to it?"),
    ("assessment", "Assessment", "What do you think the problem is?"),
    ("recommendation", "Recommendation", "What do you need, and by when?"),
)


def sbar_modal(levels: list[EscalationLevel], metadata: str, situation: str = "") -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "context", "elements": [{"type": "plain_text", "text": NO_PATIENT_DATA}]}]
    for key, label, hint in SBAR_FIELDS:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": key,
            "multiline": True,
            "placeholder": {"type": "plain_text", "text": hint},
        }
        if key == "situation" and situation:
            element["initial_value"] = situation[:3000]
        blocks.append(
            {
                "type": "input",
                "block_id": key,
                "optional": key != "situation",
                "label": _plain(label),
                "element": element,
            }
        )
    options = [{"text": _plain(f"{lv.number} - {lv.name}"[:75]), "value": str(lv.number)} for lv in levels]
    blocks.append(
        {
            "type": "input",
            "block_id": "level",
            "label": _plain("Level"),
            "element": {
                "type": "static_select",
                "action_id": "level",
                "options": options,
                "initial_option": options[0],
            },
        }
    )
    blocks.append(
        {
            "type": "input",
            "block_id": "summary",
            "optional": True,
            "label": _plain("Summary without patient details (shown on the Home tab)"),
            "element": {"type": "plain_text_input", "action_id": "summary", "max_length": 300},
        }
    )
    return {
        "type": "modal",
        "callback_id": "sbar",
        "private_metadata": metadata,
        "title": _plain("Escalate (SBAR)"),
        "submit": _plain("Escalate"),
        "blocks": blocks,
    }


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def escalation_message(
    escalation_id: int, level: EscalationLevel, raised_by: str, sbar: dict[str, str], status: str, note: str = ""
) -> list[dict[str, Any]]:
    body = "\n".join(f"*{label}:* {escape(sbar.get(key) or '-')}" for key, label, _ in SBAR_FIELDS)
    blocks = [
        _section(
            f":rotating_light: *Escalation #{escalation_id} - level {level.number} ({escape(level.name)})* "
            f"raised by <@{raised_by}>. Acknowledge within {level.response}."
        ),
        _section(body),
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"Status: *{status}*{(' - ' + note) if note else ''}"}],
        },
    ]
    if status != "resolved":
        buttons = []
        if status == "open":
            buttons.append(_button("escalation_ack", "Acknowledge", escalation_id, "primary"))
        buttons.append(_button("escalation_resolve", "Resolve", escalation_id, None))
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def _button(action_id: str, text: str, escalation_id: int, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(text),
        "value": str(escalation_id),
    }
    if style:
        button["style"] = style
    return button


def level_text(level: EscalationLevel, set_by: str, reason: str) -> str:
    actions = "\n".join(f"- {escape(a)}" for a in level.actions)
    why = f" because: {escape(reason)}" if reason else ""
    return (
        f":vertical_traffic_light: Escalation level is now *{level.number} - {escape(level.name)}* "
        f"(set by <@{set_by}>{why}).\n{escape(level.meaning)}\n*Agreed actions:*\n{actions}"
    )
