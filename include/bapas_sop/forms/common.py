"""Fields and choices shared by several SOPs' forms."""

from __future__ import annotations

from bapas_sop.forms.spec import Choice, Field, Kind

YES_NO_CHOICES = (Choice("ya", "Ya"), Choice("tidak", "Tidak"))


def review_decision_fields(*, approve_label: str = "Setuju", notes_max_length: int = 4000) -> tuple[Field, Field]:
    """The decision of a review that may return the work for revision.

    Its names and values are the defaults of ``ReviewLoopSensor`` (``keputusan`` = ``revisi``
    reopens the work, ``catatan`` goes to the worker), so every SOP's review works with it.
    """
    return (
        Field(
            "keputusan", "Keputusan", Kind.CHOICE,
            choices=(Choice("setuju", approve_label), Choice("revisi", "Kembalikan untuk revisi")),
        ),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required_if=("keputusan", "revisi"), max_length=notes_max_length,
              help="Wajib diisi bila dikembalikan untuk revisi."),
    )
