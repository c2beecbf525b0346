from downloads.models.builds import Build, BuildRecipe
from downloads.models.catalogue import Artifact, Board, Distribution, Release

__all__ = ["Artifact", "Board", "Build", "BuildRecipe", "Distribution", "Release"]
