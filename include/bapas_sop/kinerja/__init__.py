"""Kinerja SOP: how well each SOP is carried out, and what the public thinks of it.

The decree's third clause ("Ketiga") makes its SOPs the yardstick by which leaders, auditors
and the public judge the office. This package measures against it, for every SOP at once:

* :mod:`.steps` — the human steps of every SOP (on time, late, never; time to answer against
  the time given; reminders, escalations, stand-ins, hand-overs): plain pandas;
* :mod:`.skm` — the Survei Kepuasan Masyarakat index of PermenPANRB 14/2017: plain Python;
* :mod:`.survey` — the survey's personal links and anonymous answers;
* :mod:`.records` — the frames above read from the project's tables (never from log text);
* :mod:`.report` — the admin page ``/admin/kinerja`` and the monthly / quarterly PDF.

Each SOP adds its own outcome figures through its descriptor's ``figures``.
"""
