"""Masking rules (`gengo mask --rules RULES.toml`): what happens to each named column, and the secret.

    secret_env = "GENGO_MASK_SECRET"     # the HMAC key, from this environment variable (the default) ...
    # secret_file = "mask.key"           # ... or from a file
    quasi_identifiers = ["birth_date", "zip", "sex"]
    k = 5                                # the k-anonymity the report measures against

    [columns.customer_id]
    action = "pseudonymize"              # a keyed token: the same value gets the same token in every table
    [columns.email]
    action = "replace"                   # a realistic value from gengo's vocabularies, the same for the same input
    kind = "email"                       # first_name | last_name | full_name | email | city
    [columns.city]
    action = "replace"
    kind = "city"
    state = "state"                      # replaced together, so city, state and postal code match
    postal_code = "zip"
    [columns.birth_date]
    action = "generalize"
    to = "month"                         # dates: year | month
    [columns.age]
    action = "generalize"
    band = 10                            # numbers: 37 -> "30-39"
    [columns.zip]
    action = "generalize"
    keep = 3                             # text: 90210 -> "902**"
    [columns.ssn]
    action = "suppress"                  # emptied
    [columns.income]
    action = "noise"
    sd = 0.05                            # x * (1 + N(0, sd)); or `scale` for x + N(0, scale)
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError, UsageError


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pseudonymize(_Rule):
    action: Literal["pseudonymize"]
    domain: str = ""  # columns with the same domain share tokens (by default every column does)
    prefix: str = "tok_"


class Replace(_Rule):
    action: Literal["replace"]
    kind: Literal["first_name", "last_name", "full_name", "email", "city"]
    state: str | None = None
    postal_code: str | None = None


class Generalize(_Rule):
    action: Literal["generalize"]
    to: Literal["year", "month"] | None = None
    band: float | None = Field(default=None, gt=0)
    keep: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self):
        if sum(x is not None for x in (self.to, self.band, self.keep)) != 1:
            raise ValueError("give exactly one of to (year|month), band (a width) or keep (leading characters)")
        return self


class Suppress(_Rule):
    action: Literal["suppress"]


class Noise(_Rule):
    action: Literal["noise"]
    sd: float | None = Field(default=None, gt=0)
    scale: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self):
        if (self.sd is None) == (self.scale is None):
            raise ValueError("give one of sd (relative) or scale (absolute)")
        return self


Rule = Annotated[Union[Pseudonymize, Replace, Generalize, Suppress, Noise], Field(discriminator="action")]


class Rules(_Rule):
    secret_env: str = "GENGO_MASK_SECRET"
    secret_file: str | None = None
    quasi_identifiers: list[str] = Field(default_factory=list)
    k: int = Field(default=5, ge=1)
    columns: dict[str, Rule] = Field(default_factory=dict)

    def named_columns(self) -> list[str]:
        """Every column the rules name: masked ones, their companions and the quasi-identifiers."""
        out = list(self.columns) + list(self.quasi_identifiers)
        out += [c for r in self.columns.values() if isinstance(r, Replace) for c in (r.state, r.postal_code) if c]
        return list(dict.fromkeys(out))


def load_rules(path: str | Path) -> Rules:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"rules file {path} does not exist", "give a TOML file of masking rules (see `gengo mask --help`)")
    try:
        return Rules.model_validate(tomllib.loads(path.read_text()))
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"rules file {path} is not valid TOML ({e})", "fix its syntax") from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise UsageError(f"rules file {path}: {where}: {first['msg']}", "fix the rule (see `gengo mask --help`)") from None


def load_secret(rules: Rules, rules_path: Path, env: str | None = None, file: str | None = None) -> bytes:
    """The HMAC key: --secret-file / --secret-env, else the rules' secret_file / secret_env."""
    import os

    file = file or rules.secret_file
    if file:
        p = Path(file)
        if not p.is_absolute() and not p.exists():
            p = rules_path.parent / p
        if not p.is_file():
            raise InputError(f"secret file {file} does not exist", "create it (e.g. `openssl rand -hex 32 > mask.key`) or name another")
        secret = p.read_bytes().strip()
        where = f"secret file {file}"
    else:
        name = env or rules.secret_env
        secret = os.environ.get(name, "").encode()
        where = f"environment variable {name}"
    if not secret:
        raise InputError(f"no masking secret: {where} is empty or not set",
                         f"set it to a long random value (e.g. `export {env or rules.secret_env}=$(openssl rand -hex 32)`) and keep it secret")
    return secret
