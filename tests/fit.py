"""A small FIT reader for tests, written from the FIT protocol and independent of the simulator."""

from __future__ import annotations

from dataclasses import dataclass
import struct

HEADER_SIZES = (12, 14)
# Global message numbers: file_id and session.
FIT_FILE_ID, FIT_SESSION = 0, 18


def crc16(data: bytes) -> int:
    """Return the FIT CRC (CRC-16, reflected polynomial 0xA001, start 0), bit by bit."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@dataclass(frozen=True, slots=True)
class FitFile:
    """What a FIT file holds: its protocol and profile versions and the global message numbers."""

    protocol: int
    profile: int
    messages: tuple[int, ...]


def read_fit(data: bytes) -> FitFile:
    """Parse a FIT file: header, header CRC, every record and the file CRC; raise ValueError."""
    if len(data) < 14 or data[0] not in HEADER_SIZES:
        raise ValueError("no FIT header")
    size = data[0]
    protocol, profile, data_size, magic = struct.unpack_from("<BHI4s", data, 1)
    if magic != b".FIT":
        raise ValueError("no .FIT signature")
    if size == 14:
        (header_crc,) = struct.unpack_from("<H", data, 12)
        if header_crc not in (0, crc16(data[:12])):
            raise ValueError("bad header CRC")
    end = size + data_size
    if len(data) != end + 2:
        raise ValueError("data size does not match the file")
    if crc16(data) != 0:
        raise ValueError("bad file CRC")
    definitions: dict[int, tuple[int, int, str]] = {}
    messages: list[int] = []
    offset = size
    while offset < end:
        record = data[offset]
        offset += 1
        if record & 0x80:
            raise ValueError("compressed timestamp headers are not expected here")
        local = record & 0x0F
        if record & 0x40:
            architecture = data[offset + 1]
            order = ">" if architecture else "<"
            (global_number,) = struct.unpack_from(f"{order}H", data, offset + 2)
            count = data[offset + 4]
            offset += 5
            length = sum(data[offset + 3 * i + 1] for i in range(count))
            offset += 3 * count
            if record & 0x20:
                developer = data[offset]
                length += sum(data[offset + 1 + 3 * i + 1] for i in range(developer))
                offset += 1 + 3 * developer
            definitions[local] = (global_number, length, order)
        else:
            if local not in definitions:
                raise ValueError("a data message without a definition")
            global_number, length, _ = definitions[local]
            messages.append(global_number)
            offset += length
    if offset != end:
        raise ValueError("records overrun the data size")
    return FitFile(protocol=protocol, profile=profile, messages=tuple(messages))
