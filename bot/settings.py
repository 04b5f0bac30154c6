"""Settings from the environment (DCM_*) and an optional TOML file; every policy number."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from domain.admission import AdmissionPolicy
from domain.care import CarePolicy
from domain.cases import CasePolicy
from domain.enums import Grade, Locale
from domain.receivables import LadderPolicy

CONFIG_ENV = "DCM_CONFIG"
DEFAULT_CONFIG = Path("dcm.toml")
DEFAULT_DB = "sqlite:///var/dcm.sqlite3"


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything the bot can be told; env DCM_<NAME> or `name = ...` in the TOML file."""

    model_config = SettingsConfigDict(
        env_prefix="DCM_", extra="forbid", validate_default=True, frozen=True
    )

    # Telegram
    telegram_token: str | None = Field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    bot_username: str | None = None
    # Storage, place and language
    database_url: str = Field(default=DEFAULT_DB, repr=False)
    timezone: str = "Asia/Shanghai"
    holiday_region: str = "CN"
    default_locale: str = Locale.ZH_HANS.value
    # Invites and dialogs
    invite_expiry_days: int = Field(default=7, ge=1, le=365)
    dialog_timeout_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # Policy numbers, in working days unless named otherwise (POLICY.md)
    complaint_ack_days: int = Field(default=1, ge=0, le=60)  # CMP-2
    inquiry_answer_days: int = Field(default=2, ge=0, le=60)  # SVC-3
    complaint_solution_days: int = Field(default=5, ge=0, le=120)  # CMP-3
    info_update_days: int = Field(default=3, ge=0, le=60)  # INFO-5
    admission_review_days: int = Field(default=2, ge=0, le=60)  # ADM-3
    reminder_share: float = Field(default=0.5, gt=0, lt=1)  # warn when this share is left
    escalate_after_days: int = Field(default=1, ge=1, le=30)  # CMP-3: each further level
    case_forward_days: int = Field(default=1, ge=0, le=30)  # a department's reply
    case_progress_days: int = Field(default=2, ge=1, le=30)  # updates on an agreed deadline
    case_decision_reminder_days: int = Field(default=2, ge=1, le=30)  # customer, on a solution
    follow_up_visit_days: int = Field(default=5, ge=0, le=60)  # CMP-4
    survey_low_score: int = Field(default=2, ge=1, le=4)  # at or below: reopened for review
    starting_grade: Grade = Grade.B  # ADM approval
    credit_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")  # credit limits
    # Receivables (AR-2): the ladder's days from the due date, one per rung (friendly
    # reminder, first overdue day, call task, dunning letter, suspension, legal action)
    dunning_days: tuple[int, int, int, int, int, int] = (-3, 1, 7, 15, 30, 60)
    business_hours: tuple[int, int] = (9, 18)  # alerts go out on working days, these hours
    ladder_sweep_minutes: int = Field(default=30, ge=1, le=24 * 60)
    credit_ratings: tuple[str, ...] = ("AAA", "AA", "A", "B", "C")  # RISK-1, best first
    normal_credit_rating: str = "A"  # new customers' rating; the monthly re-check's ceiling
    # Relationship care (CARE-1): calendar days between visits by grade, reminders
    visit_days_a: int = Field(default=30, ge=1, le=730)
    visit_days_b: int = Field(default=90, ge=1, le=730)
    visit_days_c: int = Field(default=60, ge=1, le=730)  # C: every two months, payments
    visit_remind_days: int = Field(default=2, ge=0, le=30)  # working days ahead, in the digest
    visit_escalate_days: int = Field(default=5, ge=1, le=60)  # overdue: the sales head sees it
    contact_days_a: int = Field(default=7, ge=1, le=365)  # SVC-2: a call or meeting this often
    contact_days_b: int = Field(default=30, ge=1, le=365)
    contact_days_c: int = Field(default=30, ge=1, le=365)
    company_name: str = ""  # on dunning letters
    company_address: str = ""
    company_phone: str = ""
    default_credit_limit: Decimal = Field(default=Decimal("0"), ge=0)
    # Telegram pacing (R5)
    rate_limit_global_per_second: float = Field(default=25, gt=0)
    rate_limit_private_per_second: float = Field(default=1, gt=0)
    rate_limit_group_per_minute: float = Field(default=20, gt=0)
    use_rate_limiter: bool = True
    ops_chat_id: int | None = None
    log_level: str = "INFO"
    # Delivery machinery (RELIABILITY.md)
    poll_timeout_seconds: int = Field(default=30, ge=0, le=600)
    conflict_limit: int = Field(default=3, ge=1, le=100)  # R12: 409s in a row before exiting
    inbox_max_attempts: int = Field(default=5, ge=1, le=100)  # R16: tries before dead letter
    inbox_backoff_seconds: float = Field(default=2.0, gt=0, le=600)  # doubles with each try
    sweep_interval_seconds: int = Field(default=30, ge=1, le=3600)  # R10
    # R11: how long a process holds claimed work; a crashed process's work is free after it
    lease_seconds: float = Field(default=60, ge=1, le=3600)
    shutdown_timeout_seconds: float = Field(default=10, gt=0, le=300)  # R17
    # Webhook mode (R13); the token never appears in the path
    webhook_url: str | None = None  # public https base URL Telegram posts to
    webhook_path: str = "/telegram/updates"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=0, le=65535)
    webhook_secret: str | None = Field(default=None, repr=False)
    webhook_max_body: int = Field(default=1_000_000, ge=1024)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @field_validator("dunning_days")
    @classmethod
    def _ladder_rises(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if list(v) != sorted(set(v)):
            raise ValueError("the days must rise, each rung after the one before")
        return v

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= v[0] < v[1] <= 24:
            raise ValueError("give opening and closing hours, e.g. [9, 18]")
        return v

    @field_validator("credit_ratings")
    @classmethod
    def _ratings(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(v) < 2 or len(set(v)) != len(v):
            raise ValueError("at least two distinct levels, best first")
        return v

    @field_validator("normal_credit_rating")
    @classmethod
    def _normal_rating_is_a_level(cls, v: str, info: ValidationInfo) -> str:
        if v not in info.data.get("credit_ratings", ()):
            raise ValueError("must be one of the credit_ratings levels")
        return v

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        head, sep, tail = v.partition(":")
        if not sep or not head.isdigit() or not tail:
            raise ValueError("does not look like a bot token (digits:letters, from @BotFather)")
        return v

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if not v.startswith(("http://", "https://")) or "://" not in v or len(v) < 10:
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        if v is None or not v:
            return None
        # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -.
        if not 16 <= len(v) <= 256 or not all(c.isalnum() or c in "_-" for c in v):
            raise ValueError("must be 16-256 characters of letters, digits, _ and -")
        return v

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("must start with /")
        return v

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(v).get_backend_name()
        except ArgumentError:
            raise ValueError(f"{v!r} is not a database URL") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {backend!r} (use sqlite or postgresql)")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Shanghai)") from None
        return v

    @field_validator("holiday_region")
    @classmethod
    def _region(cls, v: str) -> str:
        import holidays

        v = v.strip().upper()
        if v not in holidays.list_supported_countries():
            raise ValueError(f"unknown holiday region {v!r} (e.g. CN, TW, HK)")
        return v

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        allowed = [loc.value for loc in Locale]
        if v not in allowed:
            raise ValueError(f"unknown locale {v!r} (one of {', '.join(allowed)})")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"unknown log level {v!r}")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def care_policy(self) -> CarePolicy:
        return CarePolicy(every_days={"A": self.visit_days_a, "B": self.visit_days_b,
                                      "C": self.visit_days_c},
                          remind_days=self.visit_remind_days,
                          escalate_days=self.visit_escalate_days,
                          contact_every_days={"A": self.contact_days_a,
                                              "B": self.contact_days_b,
                                              "C": self.contact_days_c})

    def ladder_policy(self) -> LadderPolicy:
        """The dunning ladder's numbers (AR-2, RISK-1) in one value."""
        return LadderPolicy(days=self.dunning_days, business_start=self.business_hours[0],
                            business_end=self.business_hours[1], ratings=self.credit_ratings,
                            normal_rating=self.normal_credit_rating)

    def admission_policy(self) -> AdmissionPolicy:
        """The admission numbers (ADM-3, ADM approval) in one value."""
        return AdmissionPolicy(review_days=self.admission_review_days,
                               warn_share=self.reminder_share,
                               starting_grade=self.starting_grade.value,
                               currency=self.credit_currency,
                               business_hours=self.business_hours)

    def case_policy(self) -> CasePolicy:
        """The complaint and inquiry numbers (SVC-3, CMP-2..CMP-4) in one value."""
        return CasePolicy(ack_days=self.complaint_ack_days,
                          answer_days=self.inquiry_answer_days,
                          solution_days=self.complaint_solution_days,
                          warn_share=self.reminder_share,
                          escalate_after_days=self.escalate_after_days,
                          forward_days=self.case_forward_days,
                          progress_days=self.case_progress_days,
                          decision_reminder_days=self.case_decision_reminder_days,
                          follow_up_days=self.follow_up_visit_days,
                          low_score=self.survey_low_score,
                          business_hours=self.business_hours)


def load_settings(**overrides: Any) -> Settings:
    """Load settings or raise ConfigError with one line naming the bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err.get("loc") or ("?",)
        name = str(loc[0])
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        shown = f"DCM_{name.upper()}" if name in Settings.model_fields else name
        if err.get("type") == "extra_forbidden":
            raise ConfigError(f"configuration error: unknown setting {name!r}") from None
        raise ConfigError(f"configuration error: {shown}: {msg}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"configuration error: {CONFIG_ENV} file: {exc}") from None
