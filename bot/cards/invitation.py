"""An invitation's QR code, the same image on every front end (Telegram's /inviter sends
it as a photo, Discord's as an attachment)."""

from __future__ import annotations

import io


def qr_png(link: str) -> bytes:
    """The QR code of a link, as a PNG image (pure Python: no Pillow needed)."""
    import qrcode
    from qrcode.image.pure import PyPNGImage

    buffer = io.BytesIO()
    qrcode.make(link, image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()
