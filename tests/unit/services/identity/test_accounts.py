"""Site accounts: how endorsers are named."""

from __future__ import annotations

from services.identity.accounts import CurrentUser, endorsed_by, person


def test_endorsers_are_named_without_their_login_and_namesakes_stay_apart() -> None:
    secret = b"s" * 32
    ani = CurrentUser(username="ani", name="Ibu Ani", node_id="pkk", role="member")
    other = CurrentUser(username="ani2", name="Ibu Ani", node_id="pkk", role="member")
    name = ani.endorser_name(secret)
    assert "ani)" not in name and name == ani.endorser_name(secret)  # stable per person
    assert name != other.endorser_name(secret) != ani.endorser_name(b"t" * 32)
    assert person(name) == person(other.endorser_name(secret)) == "Ibu Ani"
    assert person("Dinas Sosial #4") == "Dinas Sosial #4"  # an API endorser keeps its text
    assert ani.endorser_names(secret)[1] == "Ibu Ani (ani)"  # the form used before
    assert person("Ibu Ani (PKK Bitung Tengah) (ani)") == "Ibu Ani (PKK Bitung Tengah)"
    renamed = CurrentUser(username="ani", name="Ani Lumenta", node_id="pkk", role="member")
    assert endorsed_by(renamed, secret, [name])  # a new display name is still the person
    assert endorsed_by(ani, secret, ["Ibu  Ani (ani)"])  # the old form, spacing aside
    assert not endorsed_by(other, secret, [name, "Ibu Ani (ani)"])
