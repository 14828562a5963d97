"""What each task of the Yanpatmas DAG does, as plain functions (the DAG file only wires them).

Every function takes the run (``dag_id``, ``run_id``) or a step's request key, reads the
complaint from the store, and returns to Airflow a route or a ticket, never the contents. Each
is safe to run twice: records are set to the same values and emails are keyed in the outbox.

Emails: the complainant is written to at their own (decrypted) address, in plain words, with
no internal report and no staff names; staff invitations carry the ticket and the deadline
only (the form page, behind the personal link, shows the contents); the regional head gets
the approved examination report as a PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bapas_sop import humantask
from bapas_sop.calendar import add_working_days, end_of_day
from bapas_sop.directory import get_directory
from bapas_sop.documents import render_pdf
from bapas_sop.humantask import OpenedRequest, request_key
from bapas_sop.kinerja import survey
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.yanpatmas import rules, service
from bapas_sop.sops.yanpatmas.models import Complaint
from bapas_sop.sops.yanpatmas.rules import Stage
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest, utcnow
from bapas_sop.textid import format_date_id, format_datetime_id

#: Staff steps are timed by the complaint's deadlines: the monitor DAG reminds and escalates
#: with emails that name the ticket only, so the core sweep stays quiet for them.
STAFF_POLICY = StepPolicy.from_config(remind_before=None, escalate_after=None, expire_after=timedelta(days=60))


def config() -> Mapping[str, Any]:
    return get_settings().config.get("yanpatmas", {})


def complaint_for_run(dag_id: str, run_id: str) -> Complaint:
    with session_scope() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.dag_id == dag_id, Complaint.run_id == run_id))
    if complaint is None:
        raise service.ComplaintError(f"Run {run_id} belum terhubung dengan pengaduan mana pun.")
    return complaint


# --------------------------------------------------------------------------------------------
# Opening a step: who, what title, what the page shows, what the email may say, when due


@dataclass
class StepSpec:
    title: str
    assignee: str | dict[str, str]
    email_facts: list[list[str]]
    page_facts: list[list[str]]
    due_at: datetime
    policy: StepPolicy = STAFF_POLICY
    extra: dict[str, Any] = field(default_factory=dict)


def _soon(working_days: int) -> datetime:
    return end_of_day(add_working_days(utcnow(), working_days))


def _later(due: datetime | None, fallback_days: int) -> datetime:
    floor = _soon(fallback_days)
    return due if due is not None and due > floor else floor


def _complainant(c: Complaint) -> dict[str, str]:
    """The complainant's own step goes to their email; without one, to ULP, who phones them
    (the status page also offers the link to whoever holds the ticket and its code)."""
    email = service.identity_of(c)["email"] or _person("ulp").email
    return {"name": f"Pelapor {c.ticket}", "email": email}


def _person(role: str) -> Any:
    directory = get_directory()
    return directory.acting_for(humantask.team_lead(directory, role))


def _spec(step: str, c: Complaint) -> StepSpec:
    ticket_rows = service.ticket_facts(c)
    full = service.content_facts(c, with_identity=True)
    if step == "melengkapi_laporan":
        days = int(config().get("lengkapi_hari", 30))
        remind = int(config().get("lengkapi_pengingat_hari", 7))
        rows = [["Nomor tiket", c.ticket], ["Perihal", c.subject], ["Yang perlu dilengkapi", c.missing or "-"]]
        policy = StepPolicy.from_config(due=timedelta(days=days), remind_before=timedelta(days=remind),
                                        escalate_after=None, expire_after=timedelta(0),
                                        default_answer={"keputusan": "ditarik"})
        return StepSpec(f"Lengkapi pengaduan {c.ticket}", _complainant(c), rows, rows,
                        utcnow() + timedelta(days=days), policy)
    if step == "menerima_laporan":
        return StepSpec(f"Pengaduan {c.ticket}: periksa kelengkapan", "ulp", ticket_rows, full, c.completeness_due)
    if step == "menyampaikan_kepada_kabapas":
        return StepSpec(f"Pengaduan {c.ticket}: teruskan kepada Kepala Bapas", "ulp", ticket_rows, full, _soon(1))
    if step == "menganalisa_laporan":
        due = c.first_answer_due if c.first_answer_at is None else None
        return StepSpec(f"Pengaduan {c.ticket}: telaah Kepala Bapas", "kabapas", ticket_rows, full, _later(due, 2),
                        extra={"staff_options": service.staff_options()})
    if step == "pemeriksaan_terhadap_terlapor":
        # The examiner reads the contents without the complainant's identity.
        due = c.resolution_due - timedelta(days=5) if c.resolution_due else None
        return StepSpec(f"Pengaduan {c.ticket}: pemeriksaan terhadap terlapor", f"nip:{c.examiner_nip}", ticket_rows,
                        service.content_facts(c, with_identity=False), _later(due, 3))
    if step == "pengesahan_laporan":
        return StepSpec(f"Pengaduan {c.ticket}: sahkan laporan hasil pemeriksaan", "kabapas", ticket_rows, full, _soon(2))
    if step == "memberikan_sanksi":
        return StepSpec(f"Pengaduan {c.ticket}: catat sanksi", "kabapas", ticket_rows, full, _later(c.resolution_due, 5))
    raise ValueError(f"unknown Yanpatmas step {step!r}")


def open_step(step: str, form: str, assignee: str, *, dag_id: str, run_id: str) -> OpenedRequest:
    """Open (or find again) the step's form request; the invitation names the ticket only.

    The request is opened with the email's facts, so its invitation carries no contents; the
    page's facts (the complaint, for the people allowed to read it) are then put in the
    request's context, which only the form page behind the personal link shows.
    """
    complaint = complaint_for_run(dag_id, run_id)
    spec = _spec(step, complaint)
    key = request_key(dag_id, run_id, step)
    # A role named by the DAG stands; "{pelapor}" and "{pemeriksa}" are the complaint's own people.
    who = spec.assignee if assignee.startswith("{") else assignee
    opened = humantask.open_request(
        key=key, step=step, form_name=form, title=spec.title, assignee=who,
        context={"facts": spec.email_facts, **spec.extra}, policy=spec.policy, due_at=spec.due_at,
        dag_id=dag_id, run_id=run_id,
    )
    if opened.created and spec.page_facts != spec.email_facts:
        with session_scope() as session:
            request = session.scalar(select(FormRequest).where(FormRequest.key == key))
            request.context = {**request.context, "facts": spec.page_facts}
    return opened


def answer_of(key: str) -> tuple[dict[str, Any] | None, str]:
    """The typed answer of a step (None when it expired unanswered) and who answered."""
    outcome = humantask.poll(key)
    if outcome["status"] == humantask.ANSWERED:
        return dict(outcome["answer"]), str(outcome.get("answered_by") or "")
    return None, "system"


def answered(key: str) -> tuple[dict[str, Any], str]:
    """The answer of a step that has no default: its waiting task fails before an unanswered one gets here."""
    answer, by = answer_of(key)
    if answer is None:
        raise service.ComplaintError(f"Langkah {key} belum dijawab.")
    return answer, by


# --------------------------------------------------------------------------------------------
# Emails to the complainant


def _tell_complainant(c: Complaint, purpose: str, subject: str, paragraphs: list[str], *,
                      rows: list[list[str]] | None = None, first_answer: bool = False) -> None:
    """One plain-words email to the complainant (when they left an email); ``first_answer``
    stamps the first substantive answer once."""
    who = service.identity_of(c)
    email = who["email"] if c.has_email else None
    with mailing() as batch:
        if email:
            batch.email(
                key=f"{c.dag_id}/{c.run_id}/{purpose}", to=email, template="generic",
                context={"subject": subject, "greeting": f"Yth. {who['nama']}," if who["nama"] else "Yth. Bapak/Ibu Pelapor,",
                         "paragraphs": paragraphs, "facts": rows or [["Nomor tiket", c.ticket]],
                         "button_url": f"{get_settings().public_url}/yanpatmas/status", "button_label": "Cek status pengaduan",
                         "note": "Email ini bersifat rahasia dan hanya ditujukan kepada Anda sebagai pelapor."},
            )
        if first_answer:
            complaint = service.locked(batch.session, c.ticket)
            if complaint.first_answer_at is None:
                complaint.first_answer_at = utcnow()


# --------------------------------------------------------------------------------------------
# The tasks


def receive(ticket: str, *, dag_id: str, run_id: str) -> dict[str, str]:
    """Step 1: the run takes up the stored complaint (its acknowledgement went out from the page)."""
    complaint = service.attach_run(ticket, dag_id, run_id)
    return {"ticket": complaint.ticket}


def record_check(dag_id: str, run_id: str, key: str) -> str:
    """Step 2's answer: ``lengkap``, ``tidak_lengkap`` or ``di_luar_kewenangan``."""
    c = complaint_for_run(dag_id, run_id)
    answer, by = answered(key)
    decision = answer["keputusan"]
    now = utcnow()
    if decision == "lengkap":
        service.update(c.ticket, by=by, action="yanpatmas_complete", checked_at=now, complete_at=c.received_at)
    elif decision == "tidak_lengkap":
        c = service.update(c.ticket, by=by, action="yanpatmas_incomplete", stage=Stage.INCOMPLETE, checked_at=now,
                           missing=answer["kekurangan"])
        _tell_complainant(c, "minta_kelengkapan", f"Pengaduan {c.ticket} perlu dilengkapi", [
            "Terima kasih atas pengaduan Anda. Agar dapat kami tindak lanjuti, pengaduan Anda perlu dilengkapi "
            "dengan keterangan berikut:", c.missing or "",
            f"Tautan untuk melengkapi dikirim dalam email terpisah dan juga tersedia di halaman status. Bila tidak "
            f"dilengkapi dalam {int(config().get('lengkapi_hari', 30))} hari, pengaduan ditutup.",
        ], first_answer=True)
    else:
        service.update(c.ticket, by=by, action="yanpatmas_out_of_scope", stage=Stage.OUT_OF_SCOPE, checked_at=now,
                       scope_reason=answer["alasan"], referral=answer["rujukan"], closed_at=now)
    return decision


def close_out_of_scope(dag_id: str, run_id: str) -> None:
    c = complaint_for_run(dag_id, run_id)
    _tell_complainant(c, "di_luar_kewenangan", f"Pengaduan {c.ticket} di luar kewenangan Bapas", [
        "Terima kasih atas pengaduan Anda. Setelah kami periksa, hal yang Anda adukan berada di luar kewenangan "
        f"{get_settings().office['name']}, sehingga pengaduan ini kami tutup.",
        f"Alasannya: {c.scope_reason}", f"Pengaduan dapat Anda sampaikan kepada: {c.referral}",
    ], first_answer=True)
    _invite_to_survey(c)


def record_supplement(dag_id: str, run_id: str, key: str) -> str:
    """The complainant's supplement (``lengkap``), or nothing within the time (``ditarik``)."""
    c = complaint_for_run(dag_id, run_id)
    answer, _by = answer_of(key)
    if answer is None:
        service.update(c.ticket, by="system", action="yanpatmas_withdrawn", stage=Stage.WITHDRAWN, closed_at=utcnow())
        return "ditarik"
    text = answer["tambahan"] + (f"\nTautan bukti tambahan: {answer['tautan_bukti']}" if answer.get("tautan_bukti") else "")
    service.update(c.ticket, by="pelapor", action="yanpatmas_supplemented", stage=Stage.RECEIVED, supplement=text,
                   complete_at=utcnow())
    return "lengkap"


def close_withdrawn(dag_id: str, run_id: str) -> None:
    c = complaint_for_run(dag_id, run_id)
    _tell_complainant(c, "ditarik", f"Pengaduan {c.ticket} ditutup", [
        "Pengaduan Anda kami tutup karena keterangan yang kami minta tidak kami terima sampai batas waktunya.",
        "Bila masih ingin mengadukan hal ini, silakan sampaikan pengaduan baru melalui halaman pengaduan.",
    ])


def record_forwarding(dag_id: str, run_id: str, key: str) -> None:
    c = complaint_for_run(dag_id, run_id)
    answer, by = answered(key)
    service.update(c.ticket, by=by, action="yanpatmas_forwarded", stage=Stage.FORWARDED, summary=answer["ringkasan"])


def record_analysis(dag_id: str, run_id: str, key: str) -> str:
    """Step 4's answer: ``pemeriksaan`` or ``tanpa_pemeriksaan``; the resolution deadline is set."""
    c = complaint_for_run(dag_id, run_id)
    answer, by = answered(key)
    examination = bool(answer["perlu_pemeriksaan"])
    due = rules.deadlines(rules.load_rules(), c.received_at, complete_at=c.complete_at, examination=examination)
    c = service.update(
        c.ticket, by=by, action="yanpatmas_analysed", stage=Stage.IN_EXAMINATION if examination else Stage.ANALYSED,
        category=answer["kategori"], has_merit=bool(answer["berdasar"]), examination_needed=examination,
        reported_nip=answer.get("terlapor_nip"), examiner_nip=answer.get("pemeriksa_nip") if examination else None,
        analysis_note=answer.get("catatan"), result_text=answer.get("tanggapan"), resolution_due=due.resolution,
    )
    if examination:
        _tell_complainant(c, "ditelaah", f"Pengaduan {c.ticket} sedang ditindaklanjuti", [
            "Pengaduan Anda sudah ditelaah oleh Kepala Bapas dan ditindaklanjuti dengan pemeriksaan.",
            f"Hasilnya akan kami sampaikan paling lambat {format_datetime_id(c.resolution_due)}.",
        ], first_answer=True)
    return "pemeriksaan" if examination else "tanpa_pemeriksaan"


def answer_without_examination(dag_id: str, run_id: str) -> None:
    """No examination: the Kepala Bapas's answer goes to the complainant as it was written."""
    c = complaint_for_run(dag_id, run_id)
    _tell_complainant(c, "tanggapan", f"Tanggapan atas pengaduan {c.ticket}", [
        "Pengaduan Anda sudah ditelaah oleh Kepala Bapas. Berikut tanggapan kami:", c.result_text or "",
    ], first_answer=True)
    service.update(c.ticket, by="system", action="yanpatmas_answered", stage=Stage.RESULT_SENT, result_sent_at=utcnow())


def record_examination(dag_id: str, run_id: str, key: str) -> None:
    c = complaint_for_run(dag_id, run_id)
    answer, by = answered(key)
    service.update(c.ticket, by=by, action="yanpatmas_examined", examination=dict(answer), outcome=answer["kesimpulan"])


def make_report(dag_id: str, run_id: str) -> None:
    """Step 6: the examination report (LHP) as a PDF, kept with the complaint (no complainant identity)."""
    c = complaint_for_run(dag_id, run_id)
    pdf = render_pdf("yanpatmas/laporan_hasil_pemeriksaan", report_context(c))
    service.update(c.ticket, by="system", action="yanpatmas_report_made", stage=Stage.REPORTED, report_pdf=pdf)


def report_context(c: Complaint) -> dict[str, Any]:
    exam = c.examination or {}
    return {
        "title": f"Laporan Hasil Pemeriksaan {c.ticket}",
        "ticket": c.ticket, "received": format_datetime_id(c.received_at),
        "channel": rules.CHANNELS.get(c.channel, c.channel),
        "category": rules.categories().get(c.category or "", c.category or "-"),
        "subject": c.subject, "reported": c.reported or "-", "occurred": c.occurred or "-",
        "description": c.description, "summary": c.summary or "-",
        "reported_name": service.person_name(c.reported_nip) if c.reported_nip else "-",
        "examiner_name": service.person_name(c.examiner_nip),
        "exam_date": format_date_id(exam.get("tanggal_pemeriksaan")) if exam.get("tanggal_pemeriksaan") else "-",
        "exam": exam, "outcome": rules.OUTCOMES.get(c.outcome or "", "-"),
        "kabapas": _person("kabapas"), "made": format_date_id(utcnow()),
    }


def record_approval(dag_id: str, run_id: str, key: str) -> None:
    c = complaint_for_run(dag_id, run_id)
    answer, by = answered(key)
    service.update(c.ticket, by=by, action="yanpatmas_report_approved", report_approved_at=utcnow(),
                   result_text=answer.get("pesan_pelapor"))


#: What the complainant reads of each outcome: plain words, no names, no internal report.
OUTCOME_WORDS = {
    "terbukti": "Hasil pemeriksaan menyatakan pengaduan Anda terbukti. Kepala Bapas menjatuhkan tindakan kepada "
                "pegawai yang bersangkutan sesuai ketentuan disiplin pegawai.",
    "tidak_terbukti": "Hasil pemeriksaan menyatakan pengaduan Anda tidak terbukti. Nama baik pegawai yang "
                      "bersangkutan dipulihkan.",
}


def send_result(dag_id: str, run_id: str) -> str:
    """Step 7: the report to the regional head, the outcome in plain words to the complainant;
    returns the outcome (``terbukti`` | ``tidak_terbukti``) for step 8."""
    c = complaint_for_run(dag_id, run_id)
    cfg = config()
    pdf = c.report_pdf or b""
    with mailing() as batch:
        batch.email(
            key=f"{dag_id}/{run_id}/kanwil", to=str(cfg["kanwil_email"]), template="yanpatmas/kanwil",
            context={"title": cfg.get("kanwil_jabatan", "Kepala Kantor Wilayah"), "address": cfg.get("kanwil_alamat"),
                     "ticket": c.ticket,
                     "outcome": rules.OUTCOMES.get(c.outcome or "", "-"), "kabapas": _person("kabapas").name},
            attachments={f"LHP-{c.ticket}.pdf": pdf},
        )
    paragraphs = [OUTCOME_WORDS.get(c.outcome or "", "Pemeriksaan atas pengaduan Anda sudah selesai.")]
    if c.result_text:
        paragraphs.append(c.result_text)
    _tell_complainant(c, "hasil", f"Hasil penanganan pengaduan {c.ticket}", paragraphs, first_answer=True)
    service.update(c.ticket, by="system", action="yanpatmas_result_sent", stage=Stage.RESULT_SENT, result_sent_at=utcnow())
    return str(c.outcome)


def record_sanction(dag_id: str, run_id: str, key: str) -> None:
    c = complaint_for_run(dag_id, run_id)
    answer, by = answered(key)
    service.update(c.ticket, by=by, action="yanpatmas_sanction", sanction_level=answer["tingkat"],
                   sanction_ref=f"{answer['jenis']} — {answer['nomor_keputusan']}", sanction_date=answer["tanggal_keputusan"])


def rehabilitate(dag_id: str, run_id: str) -> None:
    """Not proven: a letter restoring the good name of the person complained about, to them and kept."""
    c = complaint_for_run(dag_id, run_id)
    kabapas = _person("kabapas")
    reported = get_directory().find(c.reported_nip) if c.reported_nip else None
    context = {"title": f"Surat Rehabilitasi {c.ticket}", "ticket": c.ticket, "kabapas": kabapas,
               "reported": reported, "reported_text": c.reported or "-", "made": format_date_id(utcnow()),
               "approved": format_date_id(c.report_approved_at) if c.report_approved_at else "-"}
    pdf = render_pdf("yanpatmas/rehabilitasi", context)
    service.update(c.ticket, by=kabapas.nip, action="yanpatmas_rehabilitated", rehabilitation_pdf=pdf)
    if reported is not None:
        with mailing() as batch:
            batch.email(key=f"{dag_id}/{run_id}/rehabilitasi/{reported.nip}", to=reported.email, cc=kabapas.email,
                        template="yanpatmas/rehabilitasi", context={"name": reported.name, "ticket": c.ticket},
                        attachments={f"Rehabilitasi-{c.ticket}.pdf": pdf})


def close(dag_id: str, run_id: str) -> None:
    """Step 8 ends: the record closes and the complainant is invited to rate the handling."""
    c = complaint_for_run(dag_id, run_id)
    c = service.update(c.ticket, by="system", action="yanpatmas_closed", stage=Stage.CLOSED, closed_at=utcnow())
    _tell_complainant(c, "selesai", f"Pengaduan {c.ticket} selesai", [
        "Penanganan pengaduan Anda sudah selesai dan catatannya kami tutup.",
        "Mohon nilai penanganan pengaduan ini melalui halaman status (nomor tiket dan kode pelacakan Anda).",
    ])
    _invite_to_survey(c)


def _invite_to_survey(c: Complaint) -> None:
    """The service to the complainant ended: the anonymous satisfaction survey (SKM,
    PermenPANRB 14/2017), when they left an email. Its results carry no ticket and no name."""
    who = service.identity_of(c)
    if not (c.has_email and who["email"]):
        return
    with mailing() as batch:
        survey.invite(batch, service="yanpatmas", service_title="Pengaduan masyarakat (Yanpatmas)",
                      subject=c.ticket, to=who["email"], name=who["nama"])

