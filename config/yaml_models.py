"""Loading a YAML definition into a pydantic model, with one line that names the file and the field.

Chat and huddle definitions are both written by hosts, by hand; the same loader reports a YAML slip
by its line and a bad value by its field path, and never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ValidationError

from config.errors import InputError

M = TypeVar("M", bound=BaseModel)


def iana_zone(value: str) -> str:
    """A definition's time zone, checked against the IANA database ("Europe/London", not "GMT")."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone like Europe/London") from None
    return value


# A definition field holding an IANA zone name, checked when the definition is read.
IanaZone = Annotated[str, AfterValidator(iana_zone)]


def validate_model(model: type[M], data: Any, where: str) -> M:
    """Validate plain data; InputError(where, "field.path: reason") on the first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        raise InputError(where, f"{field}: {message}" if field else message) from None


def load_yaml_model(model: type[M], path: Path, *, what: str) -> M:
    """Read `path` as YAML and validate it as `model` (`what` names it in errors, e.g. "a chat definition")."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), exc.strerror or "cannot be read") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(where, f"not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise InputError(str(path), f"{what} is a mapping of fields")
    return validate_model(model, data, str(path))
