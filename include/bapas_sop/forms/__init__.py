"""Forms: typed specs, signed links and the local form pages."""

from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind, Validation

__all__ = ["Choice", "Field", "FormSpec", "Kind", "Validation"]
