"""CLI command groups, one module each; `bot.cli` registers every module listed in `COMMAND_MODULES`."""

COMMAND_MODULES = (
    "bot.commands.record",
    "bot.commands.cpd",
    "bot.commands.chat",
    "bot.commands.web",
    "bot.commands.huddle",
    "bot.commands.data",
)
