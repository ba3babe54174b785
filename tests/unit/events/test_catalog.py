"""Event types are named once, in events.catalog, and each name has its contract."""

from __future__ import annotations

from events import catalog


def _named() -> dict[str, str]:
    return {name: value for name, value in vars(catalog).items()
            if name.isupper() and isinstance(value, str)
            and catalog.TYPE_PATTERN.match(value) is not None}


def test_every_named_event_type_has_its_schema() -> None:
    assert sorted(set(_named().values()) - set(catalog.known_types())) == []


def test_every_schema_has_a_name_in_the_catalog() -> None:
    assert sorted(set(catalog.known_types()) - set(_named().values())) == []


def test_a_name_says_its_aggregate_what_happened_and_a_later_version() -> None:
    for name, value in _named().items():
        match = catalog.TYPE_PATTERN.match(value)
        assert match is not None
        version = "" if match["major"] == "1" else f"_v{match['major']}"
        assert name == f"{match['aggregate']}_{match['what']}{version}".upper(), value


def test_the_statuses_the_domain_knows_are_those_of_the_contracts() -> None:
    from events.validation import Validator
    from services.domain import action_items, proposals

    schemas = Validator().type_schemas

    def enum(event_type: str) -> tuple[str, ...]:  # the schema of the event's data
        return tuple(schemas[event_type]["properties"]["status"]["enum"])

    assert enum(catalog.PROPOSAL_STATUS_CHANGED) == proposals.STATUSES
    assert enum(catalog.ACTION_ITEM_STATUS_CHANGED) == action_items.STATUSES
