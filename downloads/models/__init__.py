from downloads.models.builds import Build, BuildLogChunk, BuildRecipe
from downloads.models.catalogue import Artifact, Board, Distribution, Release

__all__ = [
    "Artifact",
    "Board",
    "Build",
    "BuildLogChunk",
    "BuildRecipe",
    "Distribution",
    "Release",
]
