"""Draw the integration's brand icon: a pulse line crossing a running track (original art)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
SCALE = 4  # draw large, then downsample for smooth edges
OUT = Path(__file__).resolve().parents[1] / "custom_components/polar_flow/brand"


def draw(size: int) -> Image.Image:
    """Return the icon at size x size pixels."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    margin = big // 16
    pen.ellipse((margin, margin, big - margin, big - margin), fill=(20, 86, 160, 255))
    track = big // 5
    pen.ellipse(
        (track, track + big // 10, big - track, big - track - big // 10),
        outline=(255, 255, 255, 110),
        width=big // 40,
    )
    mid = big // 2
    unit = big // 16
    pulse = [
        (margin + unit, mid),
        (mid - 3 * unit, mid),
        (mid - 2 * unit, mid - 4 * unit),
        (mid - unit // 2, mid + 4 * unit),
        (mid + unit, mid - 2 * unit),
        (mid + 2 * unit, mid),
        (big - margin - unit, mid),
    ]
    pen.line(pulse, fill=(255, 255, 255, 255), width=big // 24, joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write icon.png and icon@2x.png."""
    OUT.mkdir(parents=True, exist_ok=True)
    draw(SIZE).save(OUT / "icon.png")
    draw(SIZE * 2).save(OUT / "icon@2x.png")


if __name__ == "__main__":
    main()
