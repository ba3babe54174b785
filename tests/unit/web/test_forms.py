"""What every form shares: readable ids from titles."""

from __future__ import annotations

from web.forms import slug_id


def test_ids_from_titles_are_readable_and_valid_aggregate_ids() -> None:
    made = slug_id("usulan", "Pelatihan Menjahit — Ibu-ibu PKK!")
    assert made.startswith("usulan-pelatihan-menjahit-ibu-ibu-pkk-")
    assert slug_id("usulan", "Pelatihan") != slug_id("usulan", "Pelatihan")
