"""Documents of a meeting or of an agenda item: files uploaded to the service, or links.

An upload is streamed to disk while its size is counted (refused as soon as it passes the limit, never read whole
into memory) and its type is judged from its content, not from its name. Documents are never deleted, only
withdrawn from the working agenda: earlier versions of an agenda keep their links."""

from __future__ import annotations

import contextlib
import hashlib
import os
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kernel.errors import Forbidden, Invalid
from kernel.identity import Identity
from kernel.rows import get_or_404
from kernel.uploads import too_large
from services.participation.models import Base, now, timestamp
from services.participation.service.common import clean, new_id, require_secretariat
from services.participation.settings import Settings

ACCEPTED = ("PDF, documents bureautiques (OpenDocument, Word, Excel, PowerPoint), images PNG ou JPEG, "
            "texte ou CSV")
ODF = {"application/vnd.oasis.opendocument.text": ".odt", "application/vnd.oasis.opendocument.spreadsheet": ".ods",
       "application/vnd.oasis.opendocument.presentation": ".odp"}
OOXML = {"word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
         "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
         "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx")}


class Document(Base, table=True):
    id: str = Field(primary_key=True, max_length=32)
    meeting_id: str = Field(foreign_key="meeting.id", max_length=32, index=True)
    item_id: str | None = Field(default=None, max_length=32, index=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=10)  # file | link
    url: str | None = Field(default=None, max_length=2000)  # a link's address
    filename: str | None = Field(default=None, max_length=255)
    content_type: str | None = Field(default=None, max_length=120)
    size: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    public: bool = True
    withdrawn: bool = False
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=now, sa_column=timestamp())


def document_url(settings: Settings, doc: Document) -> str:
    if doc.kind == "link":
        return doc.url or ""
    return f"{settings.public_base_url.rstrip('/')}/documents/{doc.id}"


def sniff(path: Path, head: bytes) -> tuple[str, str]:
    """The content type and usual extension of a file, from its content; Invalid if not an accepted kind."""
    if head.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                if "mimetype" in names:
                    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                    if mimetype in ODF:
                        return mimetype, ODF[mimetype]
                if "[Content_Types].xml" in names:
                    for prefix, found in OOXML.items():
                        if any(n.startswith(prefix) for n in names):
                            return found
        except zipfile.BadZipFile:
            pass
    elif b"\x00" not in head:
        try:
            head[:-4].decode("utf-8") if len(head) > 4 else head.decode("utf-8")
            return "text/plain; charset=utf-8", ".txt"
        except UnicodeDecodeError:
            pass
    raise Invalid(f"Type de fichier non accepté (d'après son contenu). Formats acceptés : {ACCEPTED}.", field="file")


@dataclass(frozen=True)
class StoredFile:
    """A file streamed to the files directory under `id`: its checked type, size, digest and a safe name."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str


async def stream_to_disk(settings: Settings, chunks: AsyncIterator[bytes], filename: str | None) -> StoredFile:
    """Streams an upload to the files directory, refusing it past `upload_max_bytes` or if its content is not an
    accepted type (nothing is left behind then). Shared by meeting documents and opinions' attachments."""
    file_id = new_id()
    final = settings.documents_dir() / file_id
    partial = final.with_suffix(".part")
    size, digest, head = 0, hashlib.sha256(), b""
    try:
        with partial.open("wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > settings.upload_max_bytes:
                    raise too_large(settings.upload_max_bytes)
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Invalid("Le fichier est vide.", field="file")
        content_type, extension = sniff(partial, head)
        os.replace(partial, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    name = Path(filename or "").name or f"document{extension}"
    if Path(name).suffix.lower() not in (extension, ".jpeg" if extension == ".jpg" else extension, ".csv"):
        name = Path(name).stem + extension
    return StoredFile(id=file_id, filename=name[:255], content_type=content_type, size=size,
                      sha256=digest.hexdigest())


async def store_upload(session: AsyncSession, settings: Settings, who: Identity, meeting_id: str, *, title: str,
                       filename: str | None, item_id: str | None, public: bool,
                       chunks: AsyncIterator[bytes]) -> Document:
    """Streams an upload to the files directory, refusing it past `upload_max_bytes`; not committed."""
    require_secretariat(who, "déposer un document")
    title_ = clean(title, "title", "Titre du document", required=True, max_length=300) or ""
    stored = await stream_to_disk(settings, chunks, filename)
    doc = Document(id=stored.id, meeting_id=meeting_id, item_id=item_id, title=title_, kind="file",
                   filename=stored.filename, content_type=stored.content_type, size=stored.size,
                   sha256=stored.sha256, public=public, created_by=who.name)
    session.add(doc)
    return doc


def add_link(who: Identity, meeting_id: str, *, title: str, url: str, item_id: str | None, public: bool) -> Document:
    """A link document (not added to the session: the caller does, with the agenda change)."""
    require_secretariat(who, "ajouter un lien")
    address = clean(url, "url", "Adresse du lien", required=True, max_length=2000) or ""
    if not address.startswith(("https://", "http://")):
        raise Invalid("L'adresse du lien doit commencer par https:// (ou http://).", field="url")
    return Document(id=new_id(), meeting_id=meeting_id, item_id=item_id, kind="link", url=address, public=public,
                    title=clean(title, "title", "Titre du lien", required=True, max_length=300) or "",
                    created_by=who.name)


async def current_documents(session: AsyncSession, meeting_id: str) -> list[Document]:
    query = select(Document).where(Document.meeting_id == meeting_id, Document.withdrawn == False)  # noqa: E712
    return list((await session.exec(query.order_by(Document.created_at))).all())


async def readable_file(session: AsyncSession, settings: Settings, who: Identity,
                        document_id: str) -> tuple[Document, Path]:
    """A document file the caller may read: the secretariat always; once the agenda is out, everyone for a public
    document and the body's members for the others."""
    from services.participation.service.meetings import access_to, get_meeting

    doc = await get_or_404(session, Document, document_id, "Document introuvable.")
    if doc.kind != "file":
        raise Invalid("Ce document est un lien, pas un fichier.")
    meeting = await get_meeting(session, doc.meeting_id)
    access = await access_to(session, who, meeting.body_id)
    if not access.secretariat:
        if not meeting.published_version:
            raise Forbidden("Ce document n'est pas encore diffusé.")
        if not doc.public and not access.member:
            raise Forbidden("Ce document est réservé aux membres de l'instance.")
    return doc, settings.documents_dir() / doc.id


def document_out(settings: Settings, doc: Document) -> dict:
    return {"id": doc.id, "item_id": doc.item_id, "title": doc.title, "kind": doc.kind,
            "url": document_url(settings, doc), "filename": doc.filename, "content_type": doc.content_type,
            "size": doc.size, "public": doc.public}
