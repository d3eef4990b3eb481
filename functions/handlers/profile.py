"""Profile callables: read it, correct it (policy 7.2), and complete onboarding
with the age check (policy 10: nobody under 13)."""

import functools
import re
import zoneinfo
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from ai.models import MODEL_IDS as AI_MODELS
from handlers.edge import Caller, callable_handler
from handlers.schema import IsoDate, Strict, one_line
from kernel import clock, db, log, settings, users
from kernel.errors import InvalidArgument, PermissionDenied
from privacy import requests as privacy_requests

_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError(f"{value!r} is not an IANA timezone such as 'Europe/Paris' or 'America/New_York'")
    return value


def _check_locale(value: str) -> str:
    if not _LOCALE.match(value):
        raise ValueError(f"{value!r} is not a language tag such as 'en' or 'pt-BR'")
    return value


def _check_model(value: str | None) -> str | None:
    if value is not None and value not in AI_MODELS:
        raise ValueError(f"unknown model; choose one of {', '.join(AI_MODELS)}")
    return value


class GetProfile(Strict):
    pass


class UpdateProfile(Strict):
    displayName: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(one_line)
    ] | None = None
    timezone: Annotated[str, StringConstraints(max_length=64), AfterValidator(_check_timezone)] | None = None
    locale: Annotated[str, StringConstraints(max_length=35), AfterValidator(_check_locale)] | None = None
    marketingEmails: bool | None = None
    productAnalytics: bool | None = None
    publishEmails: bool | None = None
    preferredAiModel: Annotated[str | None, Field(max_length=64), AfterValidator(_check_model)] = None


class CompleteOnboarding(Strict):
    birthDate: IsoDate = Field(description="YYYY-MM-DD")


@callable_handler(GetProfile, before_onboarding=True)
def get_profile(caller: Caller, _payload: GetProfile) -> dict:
    _, data = caller.profile()
    return users.public_view(data)


@callable_handler(UpdateProfile, before_onboarding=True)
def update_profile(caller: Caller, payload: UpdateProfile) -> dict:
    given = payload.model_dump(exclude_unset=True)
    if not given:
        raise InvalidArgument("Nothing to update: send at least one profile field.")
    changes = {}
    for name, value in given.items():
        if name == "displayName":
            if value is None:
                raise InvalidArgument("'displayName' cannot be empty.")
            changes["displayName"] = value
        else:
            if value is None and name != "preferredAiModel":
                raise InvalidArgument(f"'{name}' cannot be null.")
            changes[f"settings.{name}"] = value
    snap, data = caller.profile()
    current = users.public_view(data)
    corrected = [name for name, value in given.items()
                 if (current["displayName"] if name == "displayName" else current["settings"].get(name)) != value]
    _write_correction(caller.uid, snap.reference, changes, corrected)
    _, data = users.load_active(caller.uid)  # as written
    return users.public_view(data)


def _write_correction(uid: str, ref, changes: dict, corrected: list[str]) -> None:
    """The profile change and, when a value really changed, its record on the privacy
    request register (policy 7.2, 7.5: completed at once), in one commit."""
    now = clock.now()
    batch = db.client().batch()
    batch.update(ref, {**changes, "updatedAt": now})
    if corrected:
        privacy_requests.record_correction(uid, corrected, writer=batch, now=now)
    batch.commit()


@callable_handler(CompleteOnboarding, before_onboarding=True)
def complete_onboarding(caller: Caller, payload: CompleteOnboarding) -> dict:
    snap, data = caller.profile()
    tz = zoneinfo.ZoneInfo(data.get("settings", {}).get("timezone") or "UTC")
    today = clock.now().astimezone(tz).date()
    born = payload.birthDate
    if born > today:
        raise InvalidArgument("'birthDate' is in the future.")
    if born.year < 1900:
        raise InvalidArgument("'birthDate' must be after 1900.")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    minimum = settings.MINIMUM_AGE.value
    if age < minimum:
        _disable_underage(caller.uid, snap)
        raise PermissionDenied(
            f"postr is only for people aged {minimum} or older, so this account has been disabled. "
            "If this is a mistake, contact support@minnerlabs.com."
        )
    # The first birth date is given, not corrected; sending another one later corrects it.
    previous = (data.get("onboarding") or {}).get("birthDate")
    corrected = ["birthDate"] if previous and previous != born.isoformat() else []
    _write_correction(caller.uid, snap.reference,
                      {"onboarding.completedAt": clock.now(), "onboarding.birthDate": born.isoformat()}, corrected)
    if not previous:
        from telemetry import product as analytics_product

        analytics_product.capture(caller.uid, analytics_product.ONBOARDED)
    _, data = users.load_active(caller.uid)  # as written
    return users.public_view(data)


def _disable_underage(uid: str, snap) -> None:
    """Policy 10: an account of someone under the minimum age stops everything it set in
    motion and its data goes as a deletion request's would (tokens revoked at the
    networks, posts cancelled, subscription cancelled, Auth user deleted, content
    purged after the retention period); the birth date given is never written."""
    from privacy import deletion as privacy_deletion

    log.security_event("account_disabled", uid, reason=privacy_deletion.UNDER_MINIMUM_AGE)
    privacy_deletion.delete(uid, reason=privacy_deletion.UNDER_MINIMUM_AGE)
