"""JSON bodies the stand-in server serves, shaped as AccessLink documents them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    """Return a JSON document of fixtures/ freshly parsed."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


EXERCISE: dict[str, Any] = {
    "id": "2AC312F",
    "upload_time": "2025-05-10T08:40:02.000Z",
    "polar_user": "https://www.polaraccesslink.com/v3/users/475",
    "device": "Polar Vantage V3",
    "device_id": "1111AAAA",
    "start_time": "2025-05-10T10:00:00",
    "start_time_utc_offset": 180,
    "duration": "PT1H2M3.5S",
    "calories": 530,
    "distance": 10234.5,
    "heart_rate": {"average": 142, "maximum": 171},
    "training_load": 143.22,
    "sport": "RUNNING",
    "has_route": True,
    "detailed_sport_info": "RUNNING_ROAD",
    "fat_percentage": 60,
    "carbohydrate_percentage": 38,
    "protein_percentage": 2,
    "running-index": 51,
    "training_load_pro": {
        "date": "2025-05-10",
        "cardio-load": 85.5,
        "muscle-load": 12.0,
        "perceived-load": 60.0,
        "cardio-load-interpretation": "MEDIUM",
        "muscle-load-interpretation": "LOW",
        "perceived-load-interpretation": "MEDIUM",
        "user-rpe": "RPE_MODERATE",
    },
}

EXERCISE_WITH_DETAILS: dict[str, Any] = {
    **EXERCISE,
    "id": "Zx9Qa1",
    "heart_rate_zones": [
        {"index": 1, "lower-limit": 110, "upper-limit": 130, "in-zone": "PT4M5S"},
        {"index": 2, "lower-limit": 130, "upper-limit": 150, "in-zone": "PT40M"},
    ],
    "samples": [{"recording-rate": 5, "sample-type": "0", "data": "100,102,,97"}],
    "route": [
        {
            "latitude": 60.21982833,
            "longitude": 25.13925,
            "time": "PT210.026S",
            "satellites": 4,
            "fix": 1,
        }
    ],
}

USER: dict[str, Any] = {
    "polar-user-id": 475,
    "member-id": "member-1",
    "registration-date": "2025-05-01T12:50:37.000Z",
    "first-name": "Eka",
    "last-name": "Toka",
    "birthdate": "1985-09-06",
    "gender": "FEMALE",
    "weight": 66,
    "height": 170,
}

CREATED_WEBHOOK: dict[str, Any] = {
    "data": {
        "id": "abdf33",
        "events": ["EXERCISE", "SLEEP"],
        "url": "https://ha.example.com/api/webhook/abc",
        "signature_secret_key": "abe1f3ae-fd33-11e8-8eb2-f2801f1b9fd1",
    }
}

WEBHOOK_LIST: dict[str, Any] = {
    "data": [
        {
            "id": "abdf33",
            "events": ["EXERCISE", "SLEEP"],
            "url": "https://ha.example.com/api/webhook/abc",
            "active": True,
        }
    ]
}

ERROR_SPEC_SHAPE: dict[str, Any] = {
    "timestamp": "2025-05-10T08:40:02Z",
    "status": 400,
    "errorType": "WebhookPingFailedException",
    "message": "Webhook ping failed",
    "corrId": "corr-123",
}

ERROR_OBSERVED_SHAPE: dict[str, Any] = {
    "error": {
        "timestamp": "2025-05-10T08:40:02Z",
        "status": 400,
        "error_type": "WebhookPingFailedException",
        "message": "Webhook ping failed",
        "corr_id": "corr-123",
    }
}
