"""Registers bapas-sop in Airflow: the forms web app in the API server and links in the UI.

Only the registration lives here; the code it registers is in the installed package. The
links come from the SOP packages' descriptors, so a new SOP adds its own without editing this.
Every Airflow process imports this module, so it stays light: the web app is built on its first
request in the API server (:class:`bapas_sop.airflow.webapp.LazyASGIApp`), never here.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from bapas_sop.airflow.timetables import FirstWorkingDayTimetable
from bapas_sop.airflow.webapp import ReconcilerAtStartup, forms_app
from bapas_sop.descriptor import nav_links

_SHARED_VIEWS = [
    {"name": "Langkah formulir terbuka", "href": "/bapas/admin/permintaan", "destination": "nav", "category": "Bapas SOP"},
    {"name": "Kinerja SOP", "href": "/bapas/admin/kinerja", "destination": "nav", "category": "Bapas SOP"},
    {"name": "Riwayat SOP", "href": "/bapas/admin/riwayat", "destination": "nav", "category": "Bapas SOP"},
    {"name": "Kotak masuk email (uji coba)", "href": "/bapas/admin/inbox", "destination": "nav", "category": "Bapas SOP"},
]


class BapasSopPlugin(AirflowPlugin):
    name = "bapas_sop"
    timetables = [FirstWorkingDayTimetable]
    fastapi_apps = [{"app": forms_app, "url_prefix": "/bapas", "name": "Bapas SOP: formulir dan pemantauan"}]
    # Human steps wait in awaiting_input; the API server resumes them (bapas_sop.airflow.resume).
    fastapi_root_middlewares = [{"middleware": ReconcilerAtStartup, "name": "Bapas SOP: melanjutkan langkah yang terjawab"}]
    external_views = [
        *({"name": link.label, "href": f"/bapas{link.path}", "destination": "nav", "category": "Bapas SOP"}
          for link in nav_links() if link.airflow_menu),
        *_SHARED_VIEWS,
    ]
