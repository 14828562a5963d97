"""Registers bapas-sop in Airflow: the forms web app in the API server and links in the UI.

Only the registration lives here; the code it registers is in the installed package.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from bapas_sop.airflow.timetables import FirstWorkingDayTimetable
from bapas_sop.web.app import create_app


class BapasSopPlugin(AirflowPlugin):
    name = "bapas_sop"
    timetables = [FirstWorkingDayTimetable]
    fastapi_apps = [{"app": create_app(), "url_prefix": "/bapas", "name": "Bapas SOP: formulir dan pemantauan"}]
    external_views = [
        {"name": "Pemantauan Litmas (SP2LO)", "href": "/bapas/admin/litmas", "destination": "nav", "category": "Bapas SOP"},
        {"name": "Langkah formulir terbuka", "href": "/bapas/admin/permintaan", "destination": "nav", "category": "Bapas SOP"},
        {"name": "Kotak masuk email (uji coba)", "href": "/bapas/admin/inbox", "destination": "nav", "category": "Bapas SOP"},
        {"name": "Formulir permintaan Litmas", "href": "/bapas/litmas/permohonan", "destination": "nav", "category": "Bapas SOP"},
    ]
