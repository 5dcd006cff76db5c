"""Safe reading of uploaded spreadsheets: limits checked *before* a parser sees the data.

An XLSX file is a ZIP archive of XML files. Before openpyxl opens it, :func:`check_xlsx`

1. reads only the ZIP directory and refuses too many entries, an entry or a total that
   would unpack beyond the limits (Python's zipfile never returns more than an entry's
   declared size, so a lying directory ends in a CRC error, not in memory), encrypted entries;
2. streams every XML entry in small chunks through defusedxml's expat parser with DTDs
   forbidden (so no DOCTYPE, no entity expansion, no external entities), and refuses any text
   or attribute longer than ``MAX_TEXT_CHARS`` as soon as the parser delivers it;
3. checks each worksheet cell's stored type against its value (numbers, booleans, dates,
   shared-string references, error values), naming the cell in German.

Memory stays bounded by the chunk size and the text limit, whatever the file claims.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from steuerung.services.common.errors import DomainError

MAX_ENTRIES = 100
#: Uncompressed size of one ZIP entry and of all entries together (bytes).
MAX_ENTRY_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 48 * 1024 * 1024
#: Longest text of one cell or XML text node, and of one attribute value (characters).
MAX_TEXT_CHARS = 4000
#: Columns read from the first sheet (the template has 9).
MAX_COLUMNS = 50
_CHUNK = 64 * 1024
_CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

NOT_XLSX = "Die Datei ist keine lesbare Excel-Datei. Bitte eine .xlsx- oder .csv-Datei hochladen."


class UnsafeUpload(DomainError):
    """The file breaks a limit or is malformed; the message says what, in German."""


def _megabytes(value: int) -> str:
    return f"{value // (1024 * 1024)} MB"


def check_zip_directory(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Entries of ``archive`` after the count, size and encryption limits."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise UnsafeUpload(
            f"Die Excel-Datei besteht aus {len(entries)} Teilen (höchstens {MAX_ENTRIES}); "
            "sie wird nicht geöffnet."
        )
    total = 0
    for info in entries:
        if info.flag_bits & 0x1:
            raise UnsafeUpload(
                "Die Excel-Datei ist verschlüsselt. Bitte ohne Kennwortschutz speichern."
            )
        if info.file_size > MAX_ENTRY_BYTES:
            raise UnsafeUpload(
                "Die Excel-Datei würde entpackt zu groß (ein Bestandteil über "
                f"{_megabytes(MAX_ENTRY_BYTES)}); sie wird nicht geöffnet."
            )
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise UnsafeUpload(
            "Die Excel-Datei würde entpackt zu groß (über "
            f"{_megabytes(MAX_TOTAL_BYTES)}); sie wird nicht geöffnet."
        )
    return entries


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


class _Handler(ContentHandler):
    """Counts text per element; in worksheets checks each cell's type and value."""

    def __init__(self, worksheet: bool, shared_strings: int | None) -> None:
        super().__init__()
        self.worksheet = worksheet
        self.shared_strings = shared_strings
        self.text_length = 0
        self.count_si = 0
        self.cell_ref = ""
        self.cell_type = ""
        self.value_parts: list[str] | None = None

    def startElement(self, name: str, attrs: object) -> None:  # noqa: N802 (SAX API)
        for value in attrs.values():  # type: ignore[attr-defined]
            if len(value) > MAX_TEXT_CHARS:
                raise UnsafeUpload(
                    f"Die Excel-Datei enthält einen Wert mit mehr als {MAX_TEXT_CHARS:,} "
                    "Zeichen.".replace(",", ".")
                )
        self.text_length = 0
        local = name.rsplit(":", 1)[-1]
        if local == "si":
            self.count_si += 1
        if not self.worksheet:
            return
        if local == "c":
            self.cell_ref = attrs.get("r", "")  # type: ignore[attr-defined]
            self.cell_type = attrs.get("t", "n")  # type: ignore[attr-defined]
            match = _CELL_REF.match(self.cell_ref) if self.cell_ref else None
            if self.cell_ref and (match is None or _column_number(match.group(1)) > 16384):
                raise UnsafeUpload(
                    f"Die Excel-Datei enthält eine ungültige Zelladresse „{self.cell_ref[:20]}“."
                )
            if self.cell_type not in ("n", "s", "b", "d", "e", "str", "inlineStr"):
                raise UnsafeUpload(f"Zelle {self._where()} hat einen unbekannten Zelltyp.")
        elif local == "v":
            self.value_parts = []

    def characters(self, content: str) -> None:
        self.text_length += len(content)
        if self.text_length > MAX_TEXT_CHARS:
            where = f" (Zelle {self.cell_ref})" if self.worksheet and self.cell_ref else ""
            raise UnsafeUpload(
                f"Die Excel-Datei enthält einen Text mit mehr als {MAX_TEXT_CHARS:,} "
                f"Zeichen{where}; so lange Angaben sind im Import nicht vorgesehen.".replace(
                    ",", "."
                )
            )
        if self.value_parts is not None:
            self.value_parts.append(content)

    def endElement(self, name: str) -> None:  # noqa: N802 (SAX API)
        self.text_length = 0
        if not self.worksheet or name.rsplit(":", 1)[-1] != "v" or self.value_parts is None:
            return
        value = "".join(self.value_parts).strip()
        self.value_parts = None
        self._check_value(value)

    def _where(self) -> str:
        return self.cell_ref or "(ohne Adresse)"

    def _check_value(self, value: str) -> None:
        kind = self.cell_type
        if not value:
            # An empty value (a formula whose result was never calculated, as openpyxl and
            # some finance systems write them) is read as an empty cell.
            return
        if kind == "n" and not _NUMBER.match(value):
            raise UnsafeUpload(
                f"Zelle {self._where()} ist als Zahl gespeichert, enthält aber keine Zahl."
            )
        if kind == "b" and value not in ("0", "1"):
            raise UnsafeUpload(f"Zelle {self._where()} enthält einen ungültigen Wahrheitswert.")
        if kind == "d":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise UnsafeUpload(
                    f"Zelle {self._where()} ist als Datum gespeichert, enthält aber kein gültiges "
                    "Datum."
                ) from None
        if kind == "e":
            raise UnsafeUpload(
                f"Zelle {self._where()} enthält einen Fehlerwert ({value[:20]}). Bitte die Formel "
                "korrigieren oder den Wert eintragen."
            )
        if kind == "s" and (
            not value.isdigit() or self.shared_strings is None or int(value) >= self.shared_strings
        ):
            raise UnsafeUpload(
                f"Zelle {self._where()} verweist auf einen Text, den es in der Datei nicht gibt."
            )


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, handler: _Handler) -> None:
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                parser.feed(chunk)
        parser.close()
    except UnsafeUpload:
        raise
    except DefusedXmlException as error:
        raise UnsafeUpload(
            "Die Excel-Datei enthält eine Dokumenttyp-Deklaration (DOCTYPE) oder Entitäten. "
            "Solche Dateien werden aus Sicherheitsgründen nicht geöffnet."
        ) from error
    except (SAXException, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise UnsafeUpload(
            "Die Excel-Datei ist beschädigt und kann nicht gelesen werden. Bitte die Datei neu "
            "speichern oder als .csv hochladen."
        ) from error


def check_xlsx(data: bytes) -> None:
    """Refuse ``data`` unless it is an XLSX within every limit (see the module docstring)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UnsafeUpload(NOT_XLSX) from error
    with archive:
        entries = check_zip_directory(archive)
        names = {info.filename for info in entries}
        if "[Content_Types].xml" not in names or not any(
            name.startswith("xl/worksheets/") for name in names
        ):
            raise UnsafeUpload(NOT_XLSX)
        xml = [i for i in entries if i.filename.endswith((".xml", ".rels", ".vml"))]
        shared = [i for i in xml if i.filename.rsplit("/", 1)[-1].lower() == "sharedstrings.xml"]
        shared_count = 0
        for info in shared:
            handler = _Handler(worksheet=False, shared_strings=None)
            _scan(archive, info, handler)
            shared_count += handler.count_si
        for info in xml:
            if info in shared:
                continue
            worksheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(
                ".xml"
            )
            _scan(archive, info, _Handler(worksheet, shared_count if shared else None))
