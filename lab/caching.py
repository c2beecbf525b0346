"""The lab's generation (see portal.caching): bumped by every service that changes what the
lab's cached panels show (Caliper runs on board and release pages)."""

from portal.caching import Generation

CALIPER = Generation("lab.caliper")
