"""What the env writes, the agents' readers read back: each format and its pattern agree."""

from datetime import datetime, timedelta

from mailenv import formats as fmt

WHEN = datetime(2026, 3, 12, 16, 5)


def test_inbox_lines_read_back() -> None:
    for unread in (True, False):
        line = fmt.inbox_line(unread, "m012", WHEN, "Leah Brandt <leah@x.co>", "Console ready")
        m = fmt.INBOX_LINE.match(line)
        assert m is not None
        assert m.groups() == (
            "m012",
            "Thu 12 Mar 16:05",
            "Leah Brandt <leah@x.co>",
            "Console ready",
        )


def test_call_results_and_status_lines_read_back() -> None:
    m = fmt.CALL_RESULT.match(fmt.call_result(WHEN, "read_email", "\nId: m001"))
    assert m is not None and m.group(1) == "read_email"
    for line in (fmt.now_line(WHEN), fmt.over_line("session_ended", WHEN), fmt.NEW_MAIL):
        assert fmt.STATUS.match(line)


def test_quote_marks_every_line() -> None:
    assert fmt.quote("a\n\nb") == "> a\n>\n> b"


def test_stamps_read_as_strftime_in_the_c_locale_would_write_them() -> None:
    start = datetime(2025, 1, 1)
    for minutes in range(0, 400 * 24 * 60, 37):
        when = start + timedelta(minutes=minutes)
        assert fmt.stamp(when) == f"{when:%a} {when.day} {when:%b} {when:%H:%M}"
        assert fmt.clock(when) == when.strftime("%H:%M")
