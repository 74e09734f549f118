"""How the site's references name who issued a document, and what in that place is not an issuer."""

from __future__ import annotations

import re

# Kinds of document the site prints where an issuer would stand: `(Cochrane review, 2011)`.
DOCUMENT_KINDS = re.compile(r"^(?:cochrane|systematic|campbell)?\s*(?:review|meta-analysis|report|thesis)$", re.I)
# A body the document was written for, printed as `Report produced for the X`: X is the issuer.
COMMISSIONED = re.compile(r"^(?:report|review|guidance)\s+(?:produced|prepared|written)\s+for\s+(?:the\s+)?", re.I)
# A trailing bracketed abbreviation: `National Institute for Health and Care Excellence [NICE]`.
ABBREVIATION = re.compile(r"\s*\[[^\]]{1,20}\]\s*$")
