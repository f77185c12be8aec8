"""Every language shows every string English has, with the same placeholders."""

from __future__ import annotations

from collections.abc import Mapping
import json
from pathlib import Path
import re
from typing import Any

import pytest

import homeassistant
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from custom_components.polar_flow.const import DOMAIN
from custom_components.polar_flow.kinds import KINDS
from scripts.translations import flatten, placeholders, read

INTEGRATION = Path(__file__).parents[2] / "custom_components" / DOMAIN
TRANSLATIONS = INTEGRATION / "translations"
# What the issue promised besides English; a language added later is checked all the same.
PROMISED = {"fi", "sv", "nb", "da", "de", "fr", "es", "it", "nl", "pl"}
LANGUAGES = sorted(path.stem for path in TRANSLATIONS.glob("*.json") if path.stem != "en")
# Home Assistant's common texts, which strings.json may reference.
CORE = json.loads((Path(homeassistant.__file__).parent / "strings.json").read_text("utf-8"))
REFERENCE = re.compile(r"\[%key:([\w:]+)%\]")
# What Home Assistant's frontend shows of an entity name on the device page.
NAME_LENGTH = 42


def strings(language: str) -> dict[str, Any]:
    """Return a language's strings by dotted key."""
    return dict(flatten(read(TRANSLATIONS / f"{language}.json")))


ENGLISH = strings("en")


def test_every_promised_language_is_shipped() -> None:
    """Finnish and the nine languages of the issue each have a translation file."""
    assert sorted(PROMISED - set(LANGUAGES)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_keys_as_english(language: str) -> None:
    """A language has every key English has, and none English lacks."""
    own = strings(language)
    assert [key for key in ENGLISH if key not in own] == [], f"{language} lacks these"
    assert [key for key in own if key not in ENGLISH] == [], f"{language} has these extra"


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_order_as_english(language: str) -> None:
    """A language keeps English's key order, so the files compare line by line."""
    own = list(strings(language))
    assert [key for key in own if key in ENGLISH] == [key for key in ENGLISH if key in own]


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_placeholders_as_english(language: str) -> None:
    """Each string fills in exactly the placeholders its English original has."""
    own = strings(language)
    differing = {
        key: (sorted(placeholders(text)), sorted(placeholders(own[key])))
        for key, text in ENGLISH.items()
        if key in own and placeholders(text) != placeholders(own[key])
    }
    assert differing == {}


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_no_empty_string(language: str) -> None:
    """Each value is a non-empty text, without stray whitespace."""
    bad = [
        key
        for key, text in strings(language).items()
        if not isinstance(text, str) or not text.strip() or text != text.strip()
    ]
    assert bad == []


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_no_apostrophe_before_a_placeholder(language: str) -> None:
    """The frontend's message format reads '{ as the start of literal text, hiding the value."""
    assert [key for key, text in strings(language).items() if "'{" in text] == []


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_names_fit_the_device_page(language: str) -> None:
    """An entity's or attribute's name fits the device page in every language."""
    names = {key: text for key, text in strings(language).items() if key.endswith(".name")}
    assert {key: text for key, text in names.items() if len(text) > NAME_LENGTH} == {}


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_logbook_lines_and_sensor_states_are_worded(language: str) -> None:
    """Each kind's event type (its logbook line) and each sensor's enum state has a text."""
    own = strings(language)
    wanted = []
    for kind in KINDS.values():
        event = f"entity.event.{kind.event.translation_key}"
        wanted.append(f"{event}.name")
        wanted += [
            f"{event}.state_attributes.event_type.state.{event_type}"
            for event_type in kind.event.event_types or ()
        ]
        for sensor in kind.sensors:
            wanted.append(f"entity.sensor.{sensor.translation_key}.name")
            wanted += [
                f"entity.sensor.{sensor.translation_key}.state.{option}"
                for option in sensor.options or ()
            ]
    assert len(wanted) > 150
    assert [key for key in wanted if not own.get(key)] == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_home_assistant_shows_the_language(hass: HomeAssistant, language: str) -> None:
    """Home Assistant loads the file for the language's code, needing no English fallback."""
    loaded = await async_get_translations(hass, language, "entity", [DOMAIN])
    prefix = f"component.{DOMAIN}."
    own = {prefix + key: text for key, text in strings(language).items()}
    assert loaded == {key: text for key, text in own.items() if key.startswith(f"{prefix}entity.")}


def frontend_labels(language: str, keys: list[str]) -> list[str]:
    """Return what Home Assistant's own frontend shows for keys in language."""
    frontend = pytest.importorskip("hass_frontend")
    labels: dict[str, str] = {}
    folder = Path(frontend.__file__).parent / "static" / "translations"
    for path in sorted(folder.glob(f"**/{language}-[0-9a-f]*.json")):
        found = json.loads(path.read_text(encoding="utf-8"))
        labels |= {key: found[key] for key in keys if key in found and key not in labels}
    assert set(labels) == set(keys), f"the frontend lacks {language} labels"
    return [labels[key] for key in keys]


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_the_way_to_the_credentials_reads_like_the_menus(language: str) -> None:
    """A wrong client secret names Settings → Devices & services → ⋮ → the credentials page."""
    settings, devices, credentials = frontend_labels(
        language,
        [
            "panel.config",
            "ui.panel.config.dashboard.devices.main",
            "ui.panel.config.application_credentials.caption",
        ],
    )
    text = strings(language)["config.abort.oauth_unauthorized"]
    assert f"{settings} → {devices} → ⋮ → {credentials}" in text
    assert "https://admin.polaraccesslink.com" in text


def resolve(text: str, own: Mapping[str, Any]) -> str:
    """Return text with each [%key:...%] reference replaced by the text it names."""

    def lookup(match: re.Match[str]) -> str:
        path = match.group(1).split("::")
        node: Any = own if path[:2] == ["component", DOMAIN] else CORE
        for part in path[2:] if node is own else path:
            node = node[part]
        return resolve(node, own)

    return REFERENCE.sub(lookup, text)


def test_english_is_strings_json_resolved() -> None:
    """en.json is strings.json with each reference to a common or own text written out."""
    source = json.loads((INTEGRATION / "strings.json").read_text("utf-8"))
    english = json.loads((TRANSLATIONS / "en.json").read_text("utf-8"))
    resolved = {key: resolve(text, source) for key, text in flatten(source)}
    assert resolved == dict(flatten(english))
    assert list(flatten(english)) == list(resolved.items())


@pytest.mark.parametrize(
    ("reference", "text"),
    [
        (
            "[%key:common::config_flow::abort::already_configured_account%]",
            "Account is already configured",
        ),
        ("[%key:component::polar_flow::entity::sensor::steps::name%]", "Steps"),
        (
            "Every [%key:component::polar_flow::entity::sensor::steps::unit_of_measurement%]",
            "Every steps",
        ),
    ],
)
def test_references_are_resolved(reference: str, text: str) -> None:
    """A reference to Home Assistant's common texts or the integration's own is written out."""
    source = json.loads((INTEGRATION / "strings.json").read_text("utf-8"))
    assert resolve(reference, source) == text
