from downloads.models.catalogue import Artifact, Board, Distribution, Release

__all__ = ["Artifact", "Board", "Distribution", "Release"]
