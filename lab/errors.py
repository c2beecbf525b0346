class LabError(ValueError):
    """A lab action that cannot be done; the message names the thing (the file and line of a
    Caliper upload, the board and time of a reservation). Nothing was written."""
