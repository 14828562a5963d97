"""Reminders, escalations and expiry of every human step, and the email retry queue.

One shared service DAG instead of per-SOP code: every form request of every SOP carries its
own reminder, escalation and expiry times, and this sweep acts on them. It also retries
emails that could not be sent when they were queued (the mail server was down).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, task

with DAG(
    dag_id="langkah_manusia",
    description="Pengingat, eskalasi dan batas akhir semua langkah formulir; kirim ulang email tertunda",
    schedule=timedelta(minutes=5),
    start_date=datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Jakarta")),
    catchup=False,
    max_active_runs=1,
    tags=["sop", "layanan"],
    # Ahead of every SOP's tasks when slots are short: with 50 SP2LO cases busy, the sweep's
    # tasks otherwise waited the whole 30 minutes of the soak (Airflow's default weights favour
    # long chains), and no reminder, escalation or email retry went out.
    default_args={"owner": "bapas-sop", "retries": 1, "retry_delay": timedelta(minutes=1),
                  "priority_weight": 1000, "weight_rule": "absolute"},
    doc_md=__doc__,
) as dag:

    @task(task_id="pengingat_dan_eskalasi",
          doc_md="Kirim pengingat sebelum batas waktu, eskalasi ke atasan setelahnya, tutup langkah yang kedaluwarsa.")
    def pengingat_dan_eskalasi() -> dict:
        from bapas_sop import humantask

        result = humantask.sweep()
        return {"reminded": len(result.reminded), "escalated": len(result.escalated), "expired": len(result.expired)}

    @task(task_id="kirim_email_tertunda", doc_md="Kirim semua email yang masih antre (termasuk yang gagal sebelumnya).")
    def kirim_email_tertunda() -> dict:
        from bapas_sop.mail.outbox import flush

        result = flush()
        return {"sent": result.sent, "failed": result.failed, "remaining": result.remaining}

    pengingat_dan_eskalasi() >> kirim_email_tertunda()
