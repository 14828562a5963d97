"""The words of SP2LO: Litmas categories, types, sections and requesting agencies.

Kept apart from :mod:`bapas_sop.sops.sp2lo.rules` (which needs pandas) because the DAG file reads
them at parse time to build its Params, and parsing must stay fast.
"""

from __future__ import annotations

CATEGORIES: dict[str, str] = {"anak": "Anak", "dewasa": "Dewasa"}

LITMAS_TYPES: dict[str, str] = {
    "diversi": "Diversi",
    "sidang_anak": "Sidang Anak",
    "pembebasan_bersyarat": "Pembebasan Bersyarat (PB)",
    "cuti_bersyarat": "Cuti Bersyarat (CB)",
    "cuti_menjelang_bebas": "Cuti Menjelang Bebas (CMB)",
    "asimilasi": "Asimilasi",
    "pembinaan_awal": "Pembinaan Awal",
    "cuti_mengunjungi_keluarga": "Cuti Mengunjungi Keluarga (CMK)",
    "pembimbingan_lanjutan": "Pembimbingan Lanjutan",
    "lainnya": "Lainnya",
}

SECTION_FOR_CATEGORY: dict[str, str] = {"anak": "bka", "dewasa": "bkd"}
SECTION_LABELS: dict[str, str] = {
    "bka": "Kasubsi Bimbingan Klien Anak",
    "bkd": "Kasubsi Bimbingan Klien Dewasa",
}
# The section itself (for reports and charts), and the directory role heading it.
SECTION_NAMES: dict[str, str] = {
    "bka": "Bimbingan Klien Anak (BKA)",
    "bkd": "Bimbingan Klien Dewasa (BKD)",
}
SECTION_ROLES: dict[str, str] = {"bka": "kasubsi_bka", "bkd": "kasubsi_bkd"}

REQUESTING_AGENCIES: dict[str, str] = {
    "penyidik": "Penyidik (Kepolisian)",
    "jaksa": "Penuntut Umum (Kejaksaan)",
    "hakim": "Hakim (Pengadilan)",
    "lapas": "Lapas",
    "rutan": "Rutan",
    "lpka": "LPKA",
    "lainnya": "Lainnya",
}
