"""Sample records shipped with the package: the real #WeHCMs chat page the demo and tests replay."""

from pathlib import Path

SEED_CHAT = Path(__file__).with_name("wehcms-2020-02-25-escalation.txt")
