"""FIT, TCX (gzipped) and GPX renderings of an exercise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import gzip
import struct
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from .data import parse_iso_duration

if TYPE_CHECKING:
    from .state import Exercise

FIT_EPOCH = 631065600
FIT_SPORTS = {"RUNNING": 1, "CYCLING": 2, "SWIMMING": 5, "STRENGTH_TRAINING": 10, "WALKING": 11}
TCX_SPORTS = {"RUNNING": "Running", "CYCLING": "Biking"}
_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip


def fit_crc(data: bytes, crc: int = 0) -> int:
    """Return the FIT CRC-16 of data."""
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


def start_utc(exercise: Exercise) -> datetime:
    """Return the exercise start as an aware UTC datetime."""
    summary = exercise.summary
    try:
        local = datetime.fromisoformat(str(summary.get("start_time")))
        offset = int(summary.get("start_time_utc_offset", 0))
    except TypeError, ValueError:
        return datetime.fromtimestamp(exercise.uploaded_at, UTC)
    return (local - timedelta(minutes=offset)).replace(tzinfo=UTC)


def _duration(exercise: Exercise) -> float:
    """Return the exercise duration in seconds (0 when unknown)."""
    return parse_iso_duration(str(exercise.summary.get("duration", ""))) or 0.0


def _hr(exercise: Exercise, key: str) -> int:
    """Return an int heart-rate statistic, 0 when absent."""
    hr = exercise.summary.get("heart_rate")
    value = hr.get(key) if isinstance(hr, dict) else None
    return int(value) if isinstance(value, int | float) else 0


def _num(value: Any) -> float:
    """Return a number or 0."""
    return float(value) if isinstance(value, int | float) else 0.0


def render_fit(exercise: Exercise) -> bytes:
    """Return a small valid FIT activity file (file_id and session messages)."""
    start = int(start_utc(exercise).timestamp()) - FIT_EPOCH
    body = bytearray()
    # file_id: type, manufacturer, product, time_created
    body += struct.pack("<BBBHB", 0x40, 0, 0, 0, 4)
    body += bytes((0, 1, 0x00, 1, 2, 0x84, 2, 2, 0x84, 4, 4, 0x86))
    body += struct.pack("<BBHHI", 0x00, 4, 123, 0, start)
    # session: start_time, total_elapsed_time, total_distance, calories, avg/max hr, sport
    body += struct.pack("<BBBHB", 0x41, 0, 0, 18, 7)
    body += bytes((2, 4, 0x86, 7, 4, 0x86, 9, 4, 0x86, 11, 2, 0x84, 16, 1, 2, 17, 1, 2, 5, 1, 0))
    summary = exercise.summary
    body += struct.pack(
        "<BIIIHBBB",
        0x01,
        start,
        min(round(_duration(exercise) * 1000), 0xFFFFFFFE),
        min(round(_num(summary.get("distance")) * 100), 0xFFFFFFFE),
        min(int(_num(summary.get("calories"))), 0xFFFE),
        min(_hr(exercise, "average"), 0xFE),
        min(_hr(exercise, "maximum"), 0xFE),
        FIT_SPORTS.get(str(summary.get("sport")), 0),
    )
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    out = header + bytes(body)
    return out + struct.pack("<H", fit_crc(out))


def _ts(dt: datetime) -> str:
    """Format a UTC datetime for TCX/GPX."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _hr_series(exercise: Exercise) -> list[int]:
    """Return the heart-rate samples (type 0) as ints."""
    for sample in exercise.samples:
        if sample.get("sample-type") == "0":
            return [int(v) for v in str(sample.get("data", "")).split(",") if v.isdigit()]
    return []


def render_tcx(exercise: Exercise) -> bytes:
    """Return a gzipped TCX document."""
    start = start_utc(exercise)
    summary = exercise.summary
    sport = TCX_SPORTS.get(str(summary.get("sport")), "Other")
    points = []
    for i, hr in enumerate(_hr_series(exercise)[::12]):
        when = _ts(start + timedelta(seconds=60 * i))
        points.append(
            f"<Trackpoint><Time>{when}</Time>"
            f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm></Trackpoint>"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        'TrainingCenterDatabase/v2"><Activities>'
        f'<Activity Sport="{sport}"><Id>{_ts(start)}</Id><Lap StartTime="{_ts(start)}">'
        f"<TotalTimeSeconds>{_duration(exercise):g}</TotalTimeSeconds>"
        f"<DistanceMeters>{_num(summary.get('distance')):g}</DistanceMeters>"
        f"<Calories>{int(_num(summary.get('calories')))}</Calories>"
        f"<AverageHeartRateBpm><Value>{_hr(exercise, 'average')}</Value></AverageHeartRateBpm>"
        f"<MaximumHeartRateBpm><Value>{_hr(exercise, 'maximum')}</Value></MaximumHeartRateBpm>"
        f"<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod>"
        f"<Track>{''.join(points)}</Track></Lap>"
        f"<Creator><Name>{escape(str(summary.get('device', 'Polar')))}</Name></Creator>"
        "</Activity></Activities></TrainingCenterDatabase>\n"
    )
    return gzip.compress(xml.encode(), mtime=0)


def render_gpx(exercise: Exercise) -> bytes:
    """Return a GPX 1.1 track of the route."""
    start = start_utc(exercise)
    points = []
    for loc in exercise.route:
        offset = parse_iso_duration(str(loc.get("time", "PT0S"))) or 0.0
        points.append(
            f'<trkpt lat="{loc.get("latitude")}" lon="{loc.get("longitude")}">'
            f"<time>{_ts(start + timedelta(seconds=offset))}</time></trkpt>"
        )
    name = escape(str(exercise.summary.get("sport", "Exercise")))
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="Polar AccessLink simulator" '
        'xmlns="http://www.topografix.com/GPX/1/1">'
        f"<metadata><time>{_ts(start)}</time></metadata>"
        f"<trk><name>{name}</name><trkseg>{''.join(points)}</trkseg></trk></gpx>\n"
    )
    return xml.encode()
