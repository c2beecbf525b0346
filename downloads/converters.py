"""Path converters of the catalogue's URLs: release versions, checksum lists, file names."""

from django.urls import register_converter


class VersionConverter:
    regex = r"[0-9A-Za-z][0-9A-Za-z._+~-]*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ChecksumListConverter(VersionConverter):
    regex = r"SHA256SUMS|MD5SUMS|SHA256SUMS\.asc"


class FilenameConverter(VersionConverter):
    regex = r"[^/]+"


# Registered once, when the module is first imported (by urls.py and api_urls.py).
register_converter(VersionConverter, "version")
register_converter(ChecksumListConverter, "sums")
register_converter(FilenameConverter, "filename")
