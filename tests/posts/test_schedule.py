"""Times: UTC storage with the person's timezone for display, daylight-saving
changes, and recurring series anchored to their first date."""

import datetime as _dt

from posts_helpers import UTC, statuses

from posts import schedule as posts_schedule
from posts.schedule import Recurrence


def test_dst_boundary_display_in_the_persons_timezone(call, user, mastodon, connect, clock_at):
    # Paris moves from +01:00 to +02:00 at 01:00 UTC on 28 March 2027.
    clock_at(_dt.datetime(2027, 3, 1, tzinfo=UTC))
    a = connect(user, mastodon)
    before = call("create_post", {"text": "before", "accountIds": [a], "timezone": "Europe/Paris",
                                  "scheduledAt": "2027-03-28T00:30:00Z"}, user.token)[1]["result"]
    after = call("create_post", {"text": "after", "accountIds": [a], "timezone": "Europe/Paris",
                                 "scheduledAt": "2027-03-28T03:30:00+02:00"}, user.token)[1]["result"]
    assert before["scheduledLocal"]["local"] == "2027-03-28T01:30:00+01:00"
    assert after["scheduledAt"] == "2027-03-28T01:30:00Z"  # stored in UTC, one hour after `before`
    assert after["scheduledLocal"] == {"local": "2027-03-28T03:30:00+02:00", "timezone": "Europe/Paris",
                                       "utcOffset": "+0200"}
    # New York shows the same instant in its own offset (its clocks moved on 14 March).
    ny = call("update_post", {"postId": after["id"], "timezone": "America/New_York"}, user.token)[1]["result"]
    assert ny["scheduledAt"] == "2027-03-28T01:30:00Z" and ny["scheduledLocal"]["local"] == "2027-03-27T21:30:00-04:00"


def test_daily_series_keeps_its_wall_clock_time_across_dst():
    anchor = _dt.datetime(2027, 3, 26, 8, 0, tzinfo=UTC)  # 09:00 in Paris (+01:00)
    daily = Recurrence(1, "days")
    times = [posts_schedule.occurrence(anchor, "Europe/Paris", daily, k) for k in range(4)]
    assert [t.astimezone(posts_schedule.zone("Europe/Paris")).strftime("%d %H:%M %z") for t in times] == [
        "26 09:00 +0100", "27 09:00 +0100", "28 09:00 +0200", "29 09:00 +0200"]
    assert times[2] - times[1] == _dt.timedelta(hours=23)


def test_monthly_series_on_the_31st_falls_on_short_months_last_day_and_comes_back():
    anchor = _dt.datetime(2027, 1, 31, 17, 0, tzinfo=UTC)
    monthly = Recurrence(1, "months")
    days = [posts_schedule.occurrence(anchor, "UTC", monthly, k).date().isoformat() for k in range(4)]
    assert days == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]


def test_latest_due_counts_from_the_anchor():
    anchor = _dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    weekly = Recurrence(1, "weeks")
    assert posts_schedule.latest_due(anchor, "UTC", weekly, 0, anchor - _dt.timedelta(seconds=1)) is None
    assert posts_schedule.latest_due(anchor, "UTC", weekly, 0, anchor) == 0
    assert posts_schedule.latest_due(anchor, "UTC", weekly, 1, anchor + _dt.timedelta(days=17)) == 2
    assert posts_schedule.latest_due(anchor, "UTC", Recurrence(2, "weeks"), 0, anchor + _dt.timedelta(days=400)) == 28


def test_recurring_series_after_a_missed_run_fires_once_and_stays_anchored(call, user, mastodon, connect, clock_at,
                                                                          db, run_task):
    from handlers import posts
    from posts import publisher

    clock = clock_at(_dt.datetime(2027, 1, 1, tzinfo=UTC))
    a = connect(user, mastodon)
    anchor = _dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    series = call("create_post", {"text": "Weekly tip", "accountIds": [a], "scheduledAt": anchor.isoformat(),
                                  "recurrence": {"every": 1, "unit": "weeks"}}, user.token)[1]["result"]
    # The first occurrence goes out on time.
    clock.set(anchor + _dt.timedelta(seconds=1))
    assert run_task(series["id"], 1)[1]["occurrence"] == 0
    assert len(statuses(mastodon)) == 1
    # Then nothing runs for two and a half weeks: occurrence 1 is missed, 2 is late; the sweeper fires 2 only.
    clock.set(anchor + _dt.timedelta(days=17))
    swept = posts.sweep_due_posts()
    assert swept["outcomes"][series["id"]] == "published"
    assert len(statuses(mastodon)) == 2  # one post, not a burst of two
    parent = db.collection("posts").document(series["id"]).get().to_dict()
    assert parent["scheduledAt"] == anchor + _dt.timedelta(weeks=3)  # the series did not shift
    assert parent["occurrence"] == 3 and parent["missedOccurrences"] == 1 and parent["status"] == "scheduled"
    child = db.collection("posts").document(publisher.occurrence_id(series["id"], anchor, 2)).get().to_dict()
    assert child["status"] == "published" and child["scheduledAt"] == anchor + _dt.timedelta(weeks=2)
    assert child["parentId"] == series["id"]
    # Running the sweeper again at the same moment publishes nothing more.
    assert series["id"] not in posts.sweep_due_posts()["outcomes"]
    assert len(statuses(mastodon)) == 2
    # The old task of the series' earlier version is stale.
    assert run_task(series["id"], 1)[1]["outcome"] == "stale"
    # The next one goes out at its anchored time.
    clock.set(anchor + _dt.timedelta(weeks=3, seconds=1))
    assert run_task(series["id"], parent["scheduleVersion"])[1]["occurrence"] == 3
    assert len(statuses(mastodon)) == 3


def test_series_ends_at_until(call, user, mastodon, connect, clock_at, db, run_task):
    clock = clock_at(_dt.datetime(2027, 1, 1, tzinfo=UTC))
    a = connect(user, mastodon)
    anchor = _dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    series = call("create_post", {"text": "Twice", "accountIds": [a], "scheduledAt": anchor.isoformat(),
                                  "recurrence": {"every": 1, "unit": "days",
                                                 "until": (anchor + _dt.timedelta(days=1, hours=1)).isoformat()}},
                  user.token)[1]["result"]
    clock.set(anchor + _dt.timedelta(seconds=1))
    run_task(series["id"], 1)
    clock.set(anchor + _dt.timedelta(days=1, seconds=1))
    run_task(series["id"], 2)
    parent = db.collection("posts").document(series["id"]).get().to_dict()
    assert parent["seriesEnded"] is True and parent["dueAt"] is None
    assert len(statuses(mastodon)) == 2


def test_editing_a_running_series_words_keeps_its_next_occurrence(call, user, mastodon, connect, clock_at, db,
                                                                 run_task):
    clock = clock_at(_dt.datetime(2027, 1, 1, tzinfo=UTC))
    a = connect(user, mastodon)
    anchor = _dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    series = call("create_post", {"text": "Daily", "accountIds": [a], "scheduledAt": anchor.isoformat(),
                                  "recurrence": {"every": 1, "unit": "days"}}, user.token)[1]["result"]
    clock.set(anchor + _dt.timedelta(seconds=1))
    run_task(series["id"], 1)
    clock.set(anchor + _dt.timedelta(hours=2))
    status, body = call("update_post", {"postId": series["id"], "text": "Daily, reworded"}, user.token)
    assert status == 200, body
    parent = db.collection("posts").document(series["id"]).get().to_dict()
    assert parent["occurrence"] == 1 and parent["scheduleVersion"] == 2
    clock.set(anchor + _dt.timedelta(days=1, seconds=1))
    assert run_task(series["id"], 2)[1]["occurrence"] == 1
    assert [r.form["status"] for r in statuses(mastodon)] == ["Daily", "Daily, reworded"]
