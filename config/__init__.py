"""Settings and definitions: everything huddlebot is told rather than works out.

Settings come from the environment (a `.env` file is read too) and are validated once at start so a
missing or malformed value is reported by name before anything runs; secrets are held as
`SecretStr` so they never reach a log or a traceback. Chat and huddle definitions are YAML files
checked against pydantic schemas; the examples beside them are the templates hosts start from.
"""
