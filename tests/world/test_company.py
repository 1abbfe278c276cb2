from datetime import datetime, timedelta

from mailenv.models import Company, Person
from mailenv.world.company import World, normalize_address
from mailenv.world.events import DeadlineEvent, Draft, MailEvent, StateEvent

T0 = datetime(2026, 3, 12, 9, 0)


def make_world() -> World:
    people = [
        Person(name="Ada Stone", address="ada@acme.test"),
        Person(name="Bo Lind", address="bo@acme.test"),
        Person(name="Bot", address="bot@acme.test"),
        Person(name="Cy Out", address="cy@home.test", external=True),
    ]
    return World(
        Company(name="Acme", domain="acme.test"),
        people,
        T0,
        monitor="bot@acme.test",
        lists={"all@acme.test": ["ada@acme.test", "bo@acme.test", "bot@acme.test"]},
    )


def test_internal_delivery_and_read_marks() -> None:
    world = make_world()
    email, delivery = world.send(Draft(sender="ada@acme.test", to=["bo@acme.test"], subject="hi"))
    assert email.id == "m001" and email.sent_at == T0
    assert delivery.delivered == ["bo@acme.test"] and not delivery.bounced
    assert world.mailboxes["bo@acme.test"].emails == ["m001"]
    assert not world.is_read("bo@acme.test", "m001")
    assert world.is_read("ada@acme.test", "m001")  # your own sent mail is read


def test_unknown_company_address_bounces_back_to_sender() -> None:
    world = make_world()
    email, delivery = world.send(Draft(sender="bot@acme.test", to=["nobody@acme.test"]))
    assert delivery.bounced == ["nobody@acme.test"] and delivery.bounce is not None
    bounce = world.emails[delivery.bounce]
    assert bounce.sender == world.mailer_daemon and bounce.to == ["bot@acme.test"]
    assert bounce.in_reply_to == email.id
    assert "nobody@acme.test" in bounce.body
    assert delivery.bounce in world.mailboxes["bot@acme.test"].emails


def test_external_mail_is_recorded_as_outbound_only() -> None:
    world = make_world()
    email, delivery = world.send(Draft(sender="bot@acme.test", to=["cy@home.test", "x@else.test"]))
    assert delivery.external == ["cy@home.test", "x@else.test"]
    assert world.outbound == [email.id]
    assert "cy@home.test" not in world.mailboxes


def test_lists_expand_to_members() -> None:
    world = make_world()
    _, delivery = world.send(Draft(sender="ada@acme.test", to=["all@acme.test"]))
    assert sorted(delivery.delivered) == ["ada@acme.test", "bo@acme.test", "bot@acme.test"]


def test_monitor_sees_all_server_mail_others_only_their_own() -> None:
    world = make_world()
    world.send(Draft(sender="ada@acme.test", to=["bo@acme.test"]))
    assert world.visible_to("bot@acme.test") == ["m001"]
    assert world.visible_to("ada@acme.test") == []
    assert world.can_read("bo@acme.test", "m001") and not world.can_read("ada@acme.test", "m001")


def test_events_fire_in_time_order_and_stop_at_deadline() -> None:
    world = make_world()
    late = MailEvent(
        at=T0 + timedelta(minutes=30),
        draft=Draft(sender="ada@acme.test", to=["bo@acme.test"], subject="late"),
    )
    early = MailEvent(
        at=T0 + timedelta(minutes=10),
        draft=Draft(sender="bo@acme.test", to=["ada@acme.test"], subject="early"),
    )
    world.schedule(late)
    world.schedule(early)
    world.schedule(StateEvent(at=T0 + timedelta(minutes=20), key="wipe", value="cancelled"))
    world.schedule(DeadlineEvent(at=T0 + timedelta(minutes=40)))
    fired = list(world.advance_to(T0 + timedelta(hours=2)))
    assert [e.kind for e, _ in fired] == ["mail", "state", "mail", "deadline"]
    assert [world.emails[i].subject for i in world.server_log] == ["early", "late"]
    assert world.emails["m001"].sent_at == T0 + timedelta(minutes=10)
    assert world.state["wipe"] == "cancelled"
    assert world.clock.now == T0 + timedelta(minutes=40)  # stopped at the deadline


def test_resolve_accepts_names_and_display_forms() -> None:
    world = make_world()
    assert world.resolve("Ada Stone") == "ada@acme.test"
    assert world.resolve('"Bo Lind" <BO@acme.test>') == "bo@acme.test"
    assert world.resolve("not an address") is None
    assert normalize_address("a b@acme.test") is None


def test_a_copy_goes_on_apart_and_shares_only_what_never_changes() -> None:
    world = make_world()
    world.send(Draft(sender="ada@acme.test", to=["all@acme.test"], subject="before"))
    world.schedule(
        MailEvent(
            at=T0 + timedelta(minutes=5), draft=Draft(sender="bo@acme.test", to=["bot@acme.test"])
        )
    )
    world.state["k"] = "v"
    before = (
        dict(world.emails),
        [list(b.emails) for b in world.mailboxes.values()],
        len(world.events),
    )
    played = world.copy()
    played.send(Draft(sender="bot@acme.test", to=["cy@home.test", "nobody@acme.test"]))
    played.mark_read("bo@acme.test", "m001")
    played.state["k"] = "w"
    delivered = [d.email_id for _, d in played.advance_to(T0 + timedelta(hours=1)) if d]
    assert len(delivered) == 1 and delivered[0] not in world.emails
    assert played.clock.now > world.clock.now == T0
    assert (dict(world.emails), [list(b.emails) for b in world.mailboxes.values()]) == before[:2]
    assert len(world.events) == before[2] and world.state == {"k": "v"}
    assert not world.is_read("bo@acme.test", "m001") and not world.outbound and not world.keys
    # Every attribute is the world's own unless it never changes once made: an attribute
    # added to World without a place in `copy` fails here.
    shared = {"company", "people", "lists", "monitor", "_by_name", "mailer_daemon"}
    for name, value in vars(world).items():
        assert (getattr(played, name) is value) == (name in shared), name
